# -*- coding: utf-8 -*-
"""plugin_utils/in_process.py: a module run in the task's worker process gives the task the result it gets from a
module process, and every condition under which the two could differ runs a module process.

The first tests run a real ansible-playbook (the one these tests run under) on probe_collection/playbook.yml twice, with
the module in process and with `coe_magnum_in_process: false`, and compare what the tasks registered and printed.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

HERE = Path(__file__).resolve().parent
# .../ansible_collections/coe/magnum/tests/unit/plugins/plugin_utils: the directory that holds ansible_collections.
COLLECTIONS_ROOT = HERE.parents[6]
SECRET = 'probe-secret-4711'


@pytest.fixture(scope='module')
def in_process():
    """plugin_utils.in_process, imported for this file's tests only. Importing ansible-core's controller code marks
    module_utils as running on the controller (a module's warnings then go to the display, not its result); in one
    pytest process with the module tests, they must not run under that mark."""
    try:
        from ansible.module_utils import _internal as module_utils_internal
    except ImportError:  # ansible-core 2.18 has no such mark
        module_utils_internal = None
    mark = getattr(module_utils_internal, 'is_controller', None)
    yield importlib.import_module('ansible_collections.coe.magnum.plugins.plugin_utils.in_process')
    if mark is not None:
        module_utils_internal.is_controller = mark


def run_probe_play(tmp_path, label, *extra):
    shutil.copytree(HERE / 'probe_collection', tmp_path / label)
    results = tmp_path / label / 'results.json'
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH='%s:%s' % (tmp_path / label, COLLECTIONS_ROOT),
               ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
               ANSIBLE_HOME=str(tmp_path / label / 'home'), ANSIBLE_DEPRECATION_WARNINGS='true')
    env.pop('PROBE_TASK_VARIABLE', None)
    completed = subprocess.run(
        [sys.executable, '-m', 'ansible.cli.playbook', '-vvv', str(tmp_path / label / 'playbook.yml'),
         '-e', 'probe_secret=%s' % SECRET, '-e', 'probe_results=%s' % results] + list(extra),
        env=env, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads(results.read_text()), completed.stdout + completed.stderr


@pytest.fixture(scope='module')
def both_ways(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('in_process')
    return run_probe_play(tmp_path, 'here'), run_probe_play(tmp_path, 'process', '-e', 'coe_magnum_in_process=false')


def comparable(result):
    """What a user's playbook can see of a result, less what names the process: file paths of a traceback."""
    shown = dict((key, value) for key, value in result.items() if key not in ('module_stderr', 'exception', 'msg'))
    shown['failed'] = bool(result.get('failed'))
    return shown


def test_the_two_runs_took_the_two_ways(both_ways):
    (_results, here_output), (_results, process_output) = both_ways
    assert here_output.count("runs in the task's worker process") == 7
    assert 'runs as a module process: the task is async' in here_output
    assert "runs in the task's worker process" not in process_output
    assert process_output.count('runs as a module process: coe_magnum_in_process is false') == 8


@pytest.mark.parametrize('task', ['check_run', 'warning_run', 'next_run', 'failed_run', 'async_run'])
def test_a_task_registers_the_same_result_either_way(both_ways, task):
    (here, _output), (process, _output) = both_ways
    for key in ('ansible_job_id', 'results_file', 'started', 'finished', 'stdout', 'stdout_lines'):
        here[task].pop(key, None)
        process[task].pop(key, None)
    assert comparable(here[task]) == comparable(process[task])
    assert here[task].get('msg') == process[task].get('msg')


def test_check_mode_diff_environment_and_secret_reach_the_module(both_ways):
    (here, output), (_process, _output) = both_ways
    check_run = here['check_run']
    assert check_run['changed'] is False and check_run['check_mode'] is True
    assert check_run['diff'] == {'before': 'old\n', 'after': 'new\n'}
    assert check_run['variable'] == 'from the task'
    assert check_run['secret'] != SECRET and SECRET not in output


def test_warnings_and_deprecations_come_back_with_the_result(both_ways):
    (here, here_output), (process, process_output) = both_ways
    assert here['warning_run']['warnings'] == process['warning_run']['warnings'] == ['a warning from the probe']
    assert [item['msg'] for item in here['warning_run']['deprecations']] == ['a deprecation from the probe']
    # Shown once, by the callback, as for a module process (not also by the worker when the module gives it).
    for output in (here_output, process_output):
        assert output.count('[WARNING]: a warning from the probe') == 1
        assert output.count('[DEPRECATION WARNING]: a deprecation from the probe') == 1


def test_what_the_module_changes_in_its_process_ends_with_its_task(both_ways):
    (here, _output), (process, _output) = both_ways
    assert here['next_run']['variable'] is None and process['next_run']['variable'] is None


@pytest.mark.parametrize('task, shown', [('crashed_run', 'the probe crashed'), ('silent_run', ''), ('exit_run', '')])
def test_a_module_that_ends_without_a_result_fails_its_task_either_way(both_ways, task, shown):
    (here, _output), (process, _output) = both_ways
    assert here[task]['failed'] is True and process[task]['failed'] is True
    assert shown in json.dumps(here[task]) and shown in json.dumps(process[task])


# ---- when the module must run as a process of its own ------------------------------------------------------------
def action(in_process, monkeypatch, transport='local', become=False, async_val=0, keep_remote_files=False,
           delegate_to=None):
    plugin = in_process.InProcessAction.__new__(in_process.InProcessAction)
    plugin._task = SimpleNamespace(async_val=async_val, action='coe.magnum.magnum_cluster', delegate_to=delegate_to)
    plugin._connection = SimpleNamespace(transport=transport)
    plugin._play_context = SimpleNamespace(become=become)
    plugin._templar = SimpleNamespace(
        template=lambda value: value.replace('{{ ansible_playbook_python }}', sys.executable))
    monkeypatch.setattr(in_process.C, 'DEFAULT_KEEP_REMOTE_FILES', keep_remote_files)
    return plugin


HERE_VARS = {'ansible_python_interpreter': sys.executable}


@pytest.mark.parametrize('settings, task_vars, reason', [
    ({}, HERE_VARS, ''),
    ({}, {'ansible_python_interpreter': '{{ ansible_playbook_python }}'}, ''),
    ({}, {'ansible_python_interpreter': 'auto', 'ansible_facts': {'discovered_interpreter_python': sys.executable}},
     ''),
    ({}, dict(HERE_VARS, coe_magnum_in_process='no'), 'coe_magnum_in_process is false'),
    ({'transport': 'ssh'}, HERE_VARS, 'the connection is ssh, not local'),
    ({'become': True}, HERE_VARS, 'the task becomes another user'),
    ({'async_val': 30}, HERE_VARS, 'the task is async'),
    ({'keep_remote_files': True}, HERE_VARS, 'ANSIBLE_KEEP_REMOTE_FILES asks for the module files'),
    ({}, {'ansible_python_interpreter': '/opt/openstack/bin/python'},
     "its interpreter /opt/openstack/bin/python is not the controller's"),
    ({}, {'ansible_python_interpreter': 'auto'}, "its interpreter None is not the controller's"),
    ({'environment': {'PYTHONPATH': '/opt/sdk', 'LD_LIBRARY_PATH': '/opt/ssl'}}, HERE_VARS,
     "the task's environment sets LD_LIBRARY_PATH, PYTHONPATH"),
    ({'environment': {'OS_CLOUD': 'other', 'HTTPS_PROXY': 'http://proxy:3128'}}, HERE_VARS, ''),
    # Delegated: the interpreter is the delegated host's, whatever the play's host has.
    ({'delegate_to': 'localhost'}, {'ansible_python_interpreter': '/usr/bin/python3',
                                    'ansible_delegated_vars': {'localhost': HERE_VARS}}, ''),
    ({'delegate_to': 'bastion'}, dict(HERE_VARS, ansible_delegated_vars={'bastion': {
        'ansible_python_interpreter': '/usr/bin/python3'}}), "its interpreter /usr/bin/python3 is not"),
])
def test_a_module_runs_in_process_only_where_nothing_differs(in_process, monkeypatch, settings, task_vars, reason):
    environment = settings.pop('environment', {})
    plugin = action(in_process, monkeypatch, **settings)
    found = plugin.why_not_here(task_vars, environment)
    if reason:
        assert found.startswith(reason)
    else:
        assert found == ''


@pytest.mark.parametrize('version, tested', [('2.19.14', True), ('2.18.0', True), ('2.20.0', False),
                                             ('2.17.9', False)])
def test_only_the_tested_cores_run_modules_in_process(in_process, version, tested):
    assert in_process.core_is_tested(version) is tested


def test_the_environment_of_the_worker_is_given_back(in_process, monkeypatch):
    monkeypatch.setenv('PROBE_KEPT', 'before')
    with in_process.target_side({'PROBE_KEPT': 'during', 'PROBE_NEW': 'during'}):
        assert os.environ['PROBE_KEPT'] == 'during' and os.environ['PROBE_NEW'] == 'during'
        os.environ['PROBE_MADE_BY_MODULE'] = 'x'
    assert os.environ['PROBE_KEPT'] == 'before'
    assert 'PROBE_NEW' not in os.environ and 'PROBE_MADE_BY_MODULE' not in os.environ
