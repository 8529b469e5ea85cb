# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes one JSON line per task (name, start, end, changed, failed) to $BENCH_TIMELINE for the benchmark."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = '''
name: bench_timeline
type: aggregate
short_description: task start/end times for tests/bench/run.py
description: Appends one JSON line per task to the file named by BENCH_TIMELINE.
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timeline'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._path = os.environ.get('BENCH_TIMELINE')
        self._task = None

    def _close(self):
        if self._task is not None and self._path:
            self._task['end'] = time.time()
            with open(self._path, 'a', encoding='utf-8') as handle:
                handle.write(json.dumps(self._task) + '\n')
        self._task = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self._task = {'name': task.get_name(), 'action': task.action, 'start': time.time(),
                      'changed': 0, 'failed': 0, 'skipped': 0}

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def v2_runner_on_ok(self, result):
        if self._task is not None and result._result.get('changed'):
            self._task['changed'] += 1

    def v2_runner_item_on_ok(self, result):
        self.v2_runner_on_ok(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if self._task is not None:
            self._task['failed'] += 1

    def v2_runner_on_skipped(self, result):
        if self._task is not None:
            self._task['skipped'] += 1

    def v2_playbook_on_stats(self, stats):
        self._close()
