# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes every task result of a play, in order, to the JSON file named by RESILIENCE_TASK_RESULTS."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = '''
name: task_results
type: aggregate
short_description: task results as JSON, for the resilience tests
description: Writes each task's name, outcome and result to the file named by RESILIENCE_TASK_RESULTS.
requirements: [enable in configuration]
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'task_results'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.records = []

    def _add(self, outcome, result):
        record = dict(result._result)
        self._clean_results(record, result._task.action)
        # time: when the result came, so that the requests of a task can be told from a log by their times.
        self.records.append({'task': result._task.get_name(), 'outcome': outcome, 'result': record,
                             'time': time.time()})

    def v2_runner_on_ok(self, result):
        self._add('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._add('failed', result)

    def v2_runner_on_skipped(self, result):
        self._add('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._add('unreachable', result)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get('RESILIENCE_TASK_RESULTS')
        if path:
            with open(path, 'w') as handle:
                json.dump(self.records, handle, default=str)
