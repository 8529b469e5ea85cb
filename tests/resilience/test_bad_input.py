# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad inputs (bad_inputs.yml): every one fails with a message naming the parameter, before any change.

All cases run in one playbook, so the suite costs one ansible-playbook start. Each case's requests are told apart
by time (the requests logged after the previous case's result and up to its own) in two logs: the suite's
OpenStack proxies' and the request log of the shared cluster's Kubernetes API emulator. Neither may hold a
POST, PUT, PATCH or DELETE of any case (token requests aside).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
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
OWN_CASES = [case for case in CASES if not case.get('core')]
# The emulator logs each request as: <date> <time,ms> INFO <logger> <client> "<METHOD> <path> HTTP/1.1" <status> -
EMULATOR_REQUEST = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \w+ \S+ \S+ "(\w+) (\S+) HTTP/[\d.]+" (\d+)')


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
    fixed_class = 'res-fixed-%s' % other[-6:]
    setup = support.Runner(str(work), {}, collections_path, proxies=proxies).run([
        {'name': 'config', 'coe.magnum.magnum_cluster_config': {'cluster': cluster.name, 'dest': kube_dir}},
        {'name': 'class', 'coe.magnum.coe_storage': {'kubeconfig': os.path.join(kube_dir, 'config'),
                                                     'storage_class': {'name': fixed_class}}}])
    assert setup.returncode == 0, setup.output[-3000:]
    # The listing gives the UUID (a lookup by name keeps the name as the id); the emulator's state is under it.
    uuid = support.clusters_named(cloud, shared.name)[0].id
    emulator_log = os.path.join(os.environ['LOCALCLOUD_HOME'], 'kube', uuid, 'emulator.log')
    assert os.path.exists(emulator_log), 'the emulator of %s keeps no request log at %s' % (cluster.name,
                                                                                          emulator_log)
    unwritable = str(work / 'locked')
    a_dir = work / 'files'
    a_dir.mkdir()
    a_file = a_dir / 'a-file'
    a_file.write_text('not a directory\n')
    not_yaml = a_dir / 'not-yaml'
    not_yaml.write_text('apiVersion: v1\nclusters: [\n  - name: x\nusers: ]\n')
    no_context = a_dir / 'no-context'
    no_context.write_text('apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster: {server: '
                          '"https://127.0.0.1:1"}\nusers: []\n')
    variables = dict(shared_cluster=shared.name, shared_template=shared.template_name, other_template=other,
                     shared_kubeconfig=os.path.join(kube_dir, 'config'), new_name=support.unique('bad'),
                     unwritable_dir=unwritable, a_dir=str(a_dir), a_file=str(a_file), not_yaml_file=str(not_yaml),
                     no_context_kubeconfig=str(no_context), fixed_class=fixed_class, emulator_log=emulator_log)
    lock_directory(unwritable)
    yield variables
    unlock_directory(unwritable)
    # A case that wrongly went through leaves a cluster or template named after new_name: remove them too.
    management = cloud.container_infrastructure_management
    strays = [c.name for c in support.transient_retry(management.clusters) if c.name.startswith(variables['new_name'])]
    for name in strays:
        support.delete_cluster(cloud, name)
    for template in support.transient_retry(management.cluster_templates):
        if template.name.startswith(variables['new_name']):
            support.delete_template(cloud, template.name)
    support.delete_template(cloud, other)
    assert not strays, 'bad inputs made clusters: %s' % strays


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


def emulator_requests(path, offset):
    """(time, method, path, status) of each request the emulator logged after offset (its times are local)."""
    found = []
    with open(path, 'rb') as handle:
        handle.seek(offset)
        for line in handle.read().decode('utf-8', 'replace').splitlines():
            match = EMULATOR_REQUEST.match(line)
            if match:
                when = datetime.datetime.strptime(match.group(1), '%Y-%m-%d %H:%M:%S,%f').timestamp()
                found.append(dict(time=when, method=match.group(2), path=match.group(3), status=match.group(4)))
    return found


def requests_of_each_case(run, requests):
    """{case id: the requests logged after the previous case's result and up to its own} (0.5 s of slack)."""
    by_case, previous = {}, 0
    for case in CASES:
        ended = run.task(case['id'])['time']
        by_case[case['id']] = [record for record in requests if previous - 0.5 < record['time'] <= ended + 0.5]
        previous = ended
    return by_case


@pytest.fixture(scope='module')
def case_requests(bad_run):
    """(OpenStack requests, Kubernetes requests) of each case, by case id."""
    run, requests, kube_requests = bad_run
    return requests_of_each_case(run, requests), requests_of_each_case(run, kube_requests)


@pytest.fixture(scope='module')
def bad_run(runner_module, play_variables, proxies):
    tasks = []
    for case in CASES:
        tasks.extend(case_tasks(case))
    kube_offset = os.path.getsize(play_variables['emulator_log'])
    # About 3.5 s a case on a loaded 2-core machine: the play's limit grows with the cases.
    with support.FaultWindow(proxies, 'bad-input') as window:
        run = runner_module.run(tasks, extra_vars=play_variables, timeout=max(600, 6 * len(CASES)))
        requests = window.requests()
    kube_requests = emulator_requests(play_variables['emulator_log'], kube_offset)
    return run, requests, kube_requests


@pytest.fixture(scope='module')
def runner_module(tmp_path_factory, proxies, collections_path):
    return support.Runner(str(tmp_path_factory.mktemp('bad-play')), {}, collections_path, proxies=proxies)


def test_enough_cases_of_the_collections_own_checks():
    assert len(OWN_CASES) >= 80, 'only %d cases exercise checks of the collection itself' % len(OWN_CASES)
    assert len(set(case['id'] for case in CASES)) == len(CASES), 'case ids repeat'


@pytest.mark.parametrize('case', CASES, ids=[case['id'] for case in CASES])
def test_bad_input_fails_naming_the_parameter(bad_run, case_requests, play_variables, report, case):
    run, _requests, _kube_requests = bad_run
    record = run.task(case['id'])
    msg = record['result'].get('msg', '')
    if 'module' in case:
        assert record['outcome'] == 'failed', 'the module did not fail: %s' % record['result']
    else:
        assert msg != ROLE_NOT_FAILED, 'the role did not fail'
    assert 'Traceback' not in msg and 'MODULE FAILURE' not in msg, msg
    missing = [word for word in case['expect'] if render(word, play_variables).lower() not in msg.lower()]
    assert not missing, 'message lacks %s: %s' % (missing, msg)
    openstack_changes = support.mutating(case_requests[0][case['id']])
    assert openstack_changes == [], 'the case changed the cloud: %s' % openstack_changes
    kube_changes = support.mutating(case_requests[1][case['id']])
    assert kube_changes == [], 'the case changed the cluster: %s' % kube_changes
    if report.bad_inputs is None:
        report.bad_inputs = []
    report.bad_inputs.append(dict(id=case['id'], target=case.get('module') or 'role %s' % case['role'],
                                  msg=' '.join(msg.split()), core=case.get('core', False)))


def test_bad_inputs_change_nothing_and_both_logs_were_read(bad_run):
    run, requests, kube_requests = bad_run
    changes = support.mutating(requests) + support.mutating(kube_requests)
    assert changes == [], 'requests that change the cloud or the cluster during the bad-input play: %s' % changes
    assert any(record['method'] == 'GET' for record in requests), 'the OpenStack proxies logged no request at all'
    # storage-class-fixed-field-change reads the class before it refuses: the emulator's log is live.
    assert any(record['method'] == 'GET' for record in kube_requests), 'the emulator logged no request at all'
