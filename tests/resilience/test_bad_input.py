# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad inputs (bad_inputs.yml): every one fails with a message naming the parameter, before any change.

All cases run in one playbook, so the suite costs one ansible-playbook start; the proxy's request log of that
run must hold no POST, PUT, PATCH or DELETE (token requests aside).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import subprocess

import pytest
import yaml

import support

CASES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'bad_inputs.yml')
ROLE_NOT_FAILED = 'ROLE DID NOT FAIL'


def load_cases():
    with open(CASES_FILE) as handle:
        return yaml.safe_load(handle)


CASES = load_cases()


def case_tasks(case):
    if 'module' in case:
        return [{'name': case['id'], 'coe.magnum.%s' % case['module']: case['args'], 'ignore_errors': True}]
    return [{
        'name': 'role case %s' % case['id'],
        'block': [
            {'ansible.builtin.include_role': {'name': 'coe.magnum.%s' % case['role']}, 'vars': case['vars']},
            {'name': case['id'], 'ansible.builtin.debug': {'msg': ROLE_NOT_FAILED}},
        ],
        'rescue': [{'name': case['id'], 'ansible.builtin.debug': {'msg': '{{ ansible_failed_result.msg }}'}}],
    }]


def render(text, variables):
    return re.sub(r'\{\{\s*(\w+)\s*\}\}', lambda match: str(variables[match.group(1)]), text)


@pytest.fixture(scope='module')
def play_variables(shared, cloud, tmp_path_factory, proxies, collections_path):
    """The resources the cases refer to: made before the log is read, so their requests do not count."""
    cluster = shared.ready()
    work = tmp_path_factory.mktemp('bad-input')
    other = support.unique('other')
    cloud.container_infrastructure_management.create_cluster_template(**support.template_fields(other))
    kube_dir = str(work / 'kube')
    setup = support.Runner(str(work), {}, collections_path, proxies=proxies).run(
        [{'name': 'config', 'coe.magnum.magnum_cluster_config': {'cluster': cluster.name, 'dest': kube_dir}}])
    assert setup.returncode == 0, setup.output[-3000:]
    unwritable = str(work / 'locked')
    a_dir = work / 'files'
    a_dir.mkdir()
    a_file = a_dir / 'a-file'
    a_file.write_text('not a directory\n')
    variables = dict(shared_cluster=shared.name, shared_template=shared.template_name, other_template=other,
                     shared_kubeconfig=os.path.join(kube_dir, 'config'), new_name=support.unique('bad'),
                     unwritable_dir=unwritable, a_dir=str(a_dir), a_file=str(a_file))
    lock_directory(unwritable)
    yield variables
    unlock_directory(unwritable)
    support.delete_template(cloud, other)


def lock_directory(path):
    """A directory nobody may write into: root ignores permission bits, but not the immutable attribute."""
    os.mkdir(path)
    if os.geteuid() == 0:
        subprocess.run(['chattr', '+i', path], check=True)
    else:
        os.chmod(path, 0o500)


def unlock_directory(path):
    if os.geteuid() == 0:
        subprocess.run(['chattr', '-i', path], check=True)
    else:
        os.chmod(path, 0o700)


@pytest.fixture(scope='module')
def bad_run(runner_module, play_variables, proxies):
    tasks = []
    for case in CASES:
        tasks.extend(case_tasks(case))
    with support.FaultWindow(proxies, 'bad-input') as window:
        run = runner_module.run(tasks, extra_vars=play_variables)
        requests = window.requests()
    return run, requests


@pytest.fixture(scope='module')
def runner_module(tmp_path_factory, proxies, collections_path):
    return support.Runner(str(tmp_path_factory.mktemp('bad-play')), {}, collections_path, proxies=proxies)


def test_enough_cases():
    assert len(CASES) >= 40
    assert len(set(case['id'] for case in CASES)) == len(CASES), 'case ids repeat'


@pytest.mark.parametrize('case', CASES, ids=[case['id'] for case in CASES])
def test_bad_input_fails_naming_the_parameter(bad_run, play_variables, report, case):
    run, _requests = bad_run
    record = run.task(case['id'])
    msg = record['result'].get('msg', '')
    if 'module' in case:
        assert record['outcome'] == 'failed', 'the module did not fail: %s' % record['result']
    else:
        assert msg != ROLE_NOT_FAILED, 'the role did not fail'
    assert 'Traceback' not in msg and 'MODULE FAILURE' not in msg, msg
    missing = [word for word in case['expect'] if render(word, play_variables).lower() not in msg.lower()]
    assert not missing, 'message lacks %s: %s' % (missing, msg)
    if report.bad_inputs is None:
        report.bad_inputs = []
    report.bad_inputs.append(dict(id=case['id'], target=case.get('module') or 'role %s' % case['role'],
                                  msg=' '.join(msg.split())))


def test_bad_inputs_change_nothing(bad_run):
    run, requests = bad_run
    changes = support.mutating(requests)
    assert changes == [], 'requests that change the cloud during the bad-input play: %s' % changes
    assert any(record['method'] == 'GET' for record in requests), 'the play made no request at all'
