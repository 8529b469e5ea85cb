# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.coe.magnum.plugins.module_utils.security_group_rules import describe_rule, rule_from_neutron
from ansible_collections.coe.magnum.plugins.modules.magnum_cluster_ports import ClusterPortsModule
from ansible_collections.coe.magnum.tests.unit.data import cases
from ansible_collections.coe.magnum.tests.unit.fakes import run_module
from ansible_collections.coe.magnum.tests.unit.neutron_fake import FakeClusterCloud


def run(cloud, args, check_mode=False):
    """(result, failed, warnings) of one module run."""
    warnings = []
    with mock.patch.object(basic.AnsibleModule, 'warn', lambda self, text: warnings.append(text)):
        result, failed = run_module(ClusterPortsModule, args, cloud, check_mode=check_mode, diff=True)
    return result, failed, warnings


def stored(cloud, group_id):
    return [describe_rule(rule_from_neutron(rule)) for rule in cloud.neutron.rules_of(group_id)]


def check_run(cloud, expected, result, failed, warnings):
    assert failed == expected.get('failed', False), result.get('msg')
    if 'msg' in expected:
        assert expected['msg'] in result['msg']
    if 'changed' in expected:
        assert result['changed'] == expected['changed']
    for key in ('lookup', 'lookup_tried'):
        if key in expected:
            assert result[key] == expected[key]
    groups = dict((group['id'], group) for group in result.get('groups', []))
    for group_id, rules in expected.get('added', {}).items():
        assert [describe_rule(rule) for rule in groups[group_id]['added']] == rules
        if result.get('changed') and expected.get('check_mode'):
            assert all(rule['id'] is None for rule in groups[group_id]['added'])
    for group_id, rule_ids in expected.get('removed', {}).items():
        assert [rule['id'] for rule in groups[group_id]['removed']] == rule_ids
    for group_id, role in expected.get('roles', {}).items():
        assert groups[group_id]['role'] == role
    if 'roles' in expected:
        assert len(groups) == len(expected['roles'])
    for group_id, rules in expected.get('has', {}).items():
        assert set(rules) <= set(stored(cloud, group_id))
    for group_id, rules in expected.get('lacks', {}).items():
        assert not set(rules) & set(stored(cloud, group_id))
    for text in expected.get('warnings', []):
        assert any(text in warning for warning in warnings), warnings
    for label, rules in expected.get('diff_after', {}).items():
        assert set(rules) <= set(result['diff']['after'][label])
        assert not set(rules) & set(result['diff']['before'][label])
    if not failed:
        for group in result['groups']:
            label = next(key for key in result['diff']['after'] if key.endswith('(%s)' % group['id']))
            assert sorted(describe_rule(rule) for rule in group['rules']) == result['diff']['after'][label]


@pytest.mark.parametrize('case', cases('cluster_ports/module_cases.yml'))
def test_module(case):
    cloud = FakeClusterCloud(case['cloud'])
    for expected in case['runs']:
        mutating_before = len(cloud.neutron.mutating_calls())
        result, failed, warnings = run(cloud, expected['args'], check_mode=expected.get('check_mode', False))
        check_run(cloud, expected, result, failed, warnings)
        if 'requests' in expected:
            assert len(cloud.neutron.mutating_calls()) - mutating_before == expected['requests']
        if expected.get('no_request_at_all'):
            assert cloud.neutron.calls == [] and cloud.heat.calls == [] and cloud.http.requests == []


def test_rules_added_carry_the_mark_and_the_users_words():
    cloud = FakeClusterCloud('heat')
    result, failed, _warnings = run(cloud, {'cluster': 'k8s-cluster', 'role': 'worker', 'rules': [
        {'port': 443, 'remote_ip_prefix': '0.0.0.0/0', 'description': 'https'}]})
    assert not failed
    (call,) = cloud.neutron.mutating_calls()
    assert call == ('create_security_group_rule', {
        'security_group_id': 'sg-minion', 'direction': 'ingress', 'ether_type': 'IPv4', 'protocol': 'tcp',
        'port_range_min': 443, 'port_range_max': 443, 'remote_ip_prefix': '0.0.0.0/0',
        'description': 'coe.magnum: https'})
    (added,) = result['groups'][0]['added']
    assert added['id'] == 'rule-1' and added['managed'] and added['ethertype'] == 'IPv4'


def test_a_rule_created_whose_answer_was_lost_is_found_not_created_again():
    cloud = FakeClusterCloud('heat')
    cloud.neutron.lost_answers = 1
    result, failed, _warnings = run(cloud, {'cluster': 'k8s-cluster', 'role': 'worker', 'rules': [
        {'port': 443, 'remote_ip_prefix': '0.0.0.0/0', 'description': 'https'}]})
    assert not failed and result['changed']
    assert len(cloud.neutron.mutating_calls()) == 1
    assert [r['port_range_min'] for r in cloud.neutron.rules_of('sg-minion')].count(443) == 1
    (added,) = result['groups'][0]['added']
    assert added['id'] == 'rule-1'


def test_no_secret_of_the_auth_options_reaches_a_failure():
    cloud = FakeClusterCloud('heat')
    result, failed, _warnings = run(cloud, {
        'cluster': 'hunter2-cluster', 'auth': {'password': 'hunter2-cluster'},
        'rules': [{'port': 80, 'remote_ip_prefix': '0.0.0.0/0'}]})
    assert failed and 'hunter2' not in result['msg']
