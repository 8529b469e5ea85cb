# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.cluster.model import (
    DesiredCluster, describe, failed_error, failure_reason, is_busy, is_complete, is_failed,
    looks_like_uuid, public_record,
)
from ansible_collections.coe.magnum.plugins.module_utils.cluster import nodegroup_plan
from ansible_collections.coe.magnum.plugins.module_utils.cluster.plan import (
    Resize, Upgrade, compare, plan_update, predicted_after,
)
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, capitalised
from ansible_collections.coe.magnum.plugins.module_utils.magnum_api import FEATURE_VERSIONS, parse_version
from ansible_collections.coe.magnum.tests.unit.data import cases

TEMPLATE = {'uuid': 'T1', 'flavor_id': 'm1.small', 'master_flavor_id': 'm1.large', 'keypair_id': 'default',
            'docker_volume_size': 10, 'labels': {'kube_tag': 'v1.29.0'}, 'floating_ip_enabled': True,
            'master_lb_enabled': False}


def desired(name='k8s-cluster', **params):
    params.setdefault('cluster_template', 'k8s')
    return DesiredCluster.from_params(dict(params, name=name))


def same_as(pairs):
    known = set(tuple(pair) for pair in pairs or [])

    def same(kind, stored, wanted, parameter):
        return stored == wanted or (kind, stored, wanted) in known
    return same


def supports_up_to(max_version):
    return lambda feature: parse_version(max_version) >= parse_version(FEATURE_VERSIONS[feature])


@pytest.mark.parametrize('case', cases('cluster/compare.yml'))
def test_compare(case):
    found = compare(case['current'], desired(**case['params']), case.get('template_uuid', 'T1'),
                    same_as(case.get('same')), case.get('current_node_count'))
    expected = case['expected']
    for attribute in ('template', 'node_count'):
        change = getattr(found, attribute)
        if expected[attribute] is None:
            assert change is None
        else:
            assert (change['current'], change['wanted']) == (expected[attribute]['current'],
                                                             expected[attribute]['wanted'])
    assert sorted(change['parameter'] for change in found.fixed) == expected['fixed']
    assert bool(found) == bool(expected['template'] or expected['node_count'] or expected['fixed'])


@pytest.mark.parametrize('case', cases('cluster/plan.yml'))
def test_plan(case):
    params = dict(case['params'])
    options = dict((key, params.pop(key, False)) for key in ('allow_upgrade', 'recreate'))
    wanted = desired(**params)
    current = dict(case['current'], name='k8s-cluster', uuid='C1')
    comparison = compare(current, wanted, case.get('template_uuid', 'T1'), same_as(None))
    supports = supports_up_to(case['max_version'])
    if 'error' in case:
        with pytest.raises(CoeError) as raised:
            plan_update(current, comparison, wanted, options['allow_upgrade'], options['recreate'], supports)
        for words in case['error']:
            assert words in raised.value.msg
        return
    steps = plan_update(current, comparison, wanted, options['allow_upgrade'], options['recreate'], supports)
    assert len(steps) == len(case['steps'])
    for step, expected in zip(steps, case['steps']):
        for key, value in expected.items():
            assert getattr(step, key) == value, (key, vars(step))


def test_refusal_lists_the_differences_for_machines():
    current = {'name': 'c', 'uuid': 'C1', 'cluster_template_id': 'T1', 'master_count': 1}
    wanted = desired(master_count=3)
    with pytest.raises(CoeError) as raised:
        plan_update(current, compare(current, wanted, 'T1', same_as(None)), wanted, False, False,
                    supports_up_to('1.14'))
    assert raised.value.details['differences'] == [
        {'field': 'master_count', 'parameter': 'master_count', 'current': 1, 'wanted': 3}]


def test_create_request_has_only_what_was_given_with_labels_as_strings():
    body = desired(node_count=2, labels={'csi': True, 'size': 10}, merge_labels=True).create_request('T1')
    assert body == {'name': 'k8s-cluster', 'cluster_template_id': 'T1', 'node_count': 2,
                    'labels': {'csi': 'true', 'size': '10'}, 'merge_labels': True}


def test_create_request_without_labels_leaves_them_to_the_template():
    body = desired(labels={}, merge_labels=True).create_request('T1')
    assert 'labels' not in body and 'merge_labels' not in body


@pytest.mark.parametrize('params, labels', [
    ({}, {'kube_tag': 'v1.29.0'}),
    ({'labels': {'a': 1}}, {'a': '1'}),
    ({'labels': {'a': 1}, 'merge_labels': True}, {'kube_tag': 'v1.29.0', 'a': '1'}),
])
def test_prediction_follows_magnum_defaults(params, labels):
    record = desired(**params).predicted_record(TEMPLATE)
    assert record['labels'] == labels
    assert (record['flavor_id'], record['master_flavor_id'], record['keypair']) == ('m1.small', 'm1.large', 'default')
    assert (record['master_count'], record['node_count'], record['create_timeout']) == (1, 1, 60)


def test_prediction_after_steps():
    record = {'cluster_template_id': 'T1', 'node_count': 1}
    steps = [Upgrade('T2'), Resize(4)]
    assert predicted_after(record, steps) == {'cluster_template_id': 'T2', 'node_count': 4}
    assert predicted_after(record, [Resize(4, nodegroup='gpu')]) == record


@pytest.mark.parametrize('status, failed, complete, busy', [
    ('CREATE_FAILED', True, False, False), ('ROLLBACK_FAILED', True, False, False),
    ('UPDATE_COMPLETE', False, True, False), ('CHECK_COMPLETE', False, True, False),
    ('DELETE_IN_PROGRESS', False, False, True), (None, False, False, False),
])
def test_status_kinds(status, failed, complete, busy):
    assert (is_failed(status), is_complete(status), is_busy(status)) == (failed, complete, busy)


def test_failure_reason_has_magnum_reason_and_faults():
    record = {'status_reason': 'Stack failed', 'faults': {'b': 'two', 'a': 'one'}}
    assert failure_reason(record) == 'Stack failed; faults: a: one; b: two'
    assert failure_reason({}) == 'Magnum gave no reason'


def test_names_in_messages():
    assert describe({'name': 'c', 'uuid': 'U'}) == "cluster 'c' (U)"
    assert describe({'uuid': 'U'}) == "cluster 'U'"


@pytest.mark.parametrize('value, uuid', [('3a4f28a6-9c1e-4d0e-a1a4-6a5e0b9f1c2d', True),
                                         ('3a4f28a69c1e4d0ea1a46a5e0b9f1c2d', True), ('k8s-cluster', False)])
def test_uuid_names(value, uuid):
    assert looks_like_uuid(value) == uuid


# Each option's lowest accepted value (Magnum's own lower bounds; 0 minutes of create_timeout is "no timeout").
LOWEST = {'master_count': 1, 'node_count': 0, 'docker_volume_size': 1, 'create_timeout': 0, 'healthy_timeout': 0,
          'max_batch_size': 1, 'delete_retries': 0, 'timeout': 1}


@pytest.mark.parametrize('option', sorted(LOWEST))
def test_each_number_is_accepted_at_its_lowest_value_and_refused_below_it_by_name(option):
    assert desired(**{option: LOWEST[option]}).name == 'k8s-cluster'
    with pytest.raises(CoeError) as raised:
        desired(**{option: LOWEST[option] - 1})
    assert raised.value.details['parameter'] == option
    assert '`%s` must be at least %d, not %d' % (option, LOWEST[option], LOWEST[option] - 1) in raised.value.msg


def test_a_record_as_magnum_answers_it_comes_out_without_its_api_links():
    # Read from JSON, as every record is: its keys are new string objects, not the program's constants.
    record = json.loads('{"uuid": "C1", "name": "c", "links": [{"href": "http://magnum/v1/clusters/C1", '
                        '"rel": "self"}]}')
    assert public_record(record) == {'uuid': 'C1', 'name': 'c'}
    assert public_record(None) is None


def test_a_failed_cluster_is_named_with_its_status_what_failed_and_why():
    record = {'name': 'c', 'uuid': 'c1', 'status': 'UPDATE_FAILED', 'status_reason': 'Stack failed',
              'faults': {'default-worker': 'No valid host'}}
    error = failed_error(record, 'the upgrade')
    assert error.msg == ("Cluster 'c' (c1) is UPDATE_FAILED after the upgrade: Stack failed; faults: default-worker: "
                         "No valid host")
    assert failed_error(dict(record, status='CREATE_FAILED', faults={})).msg == (
        "Cluster 'c' (c1) is CREATE_FAILED: Stack failed")


def test_messages_keep_the_capitals_of_names_and_ids():
    record = {'name': 'prod-K8s', 'uuid': 'C1-AB', 'status': 'CREATE_FAILED', 'status_reason': 'Stack failed'}
    assert failed_error(record).msg == "Cluster 'prod-K8s' (C1-AB) is CREATE_FAILED: Stack failed"
    group = {'name': 'GPU-Workers', 'node_count': 2}
    assert capitalised(nodegroup_plan.describe(group, record)) == "Node group 'GPU-Workers' of cluster 'prod-K8s'"


def test_create_timeout_is_skipped_but_the_fields_after_it_are_still_compared():
    current = {'cluster_template_id': 'T1', 'create_timeout': 60, 'discovery_url': None, 'master_count': 1}
    found = compare(current, desired(create_timeout=120, discovery_url='https://d/x', master_count=3), 'T1',
                    same_as(None))
    assert [change['parameter'] for change in found.fixed] == ['discovery_url', 'master_count']


def test_equal_values_read_from_magnums_json_are_the_same():
    # Strings read from JSON are other objects than the task's: only their value may count.
    # So are numbers above 256 (CPython keeps one object only for small ones): a cluster of 300 nodes.
    current = json.loads('{"cluster_template_id": "T1", "discovery_url": "https://discovery.etcd.io/abc", '
                         '"master_count": 3, "node_count": 300, "docker_volume_size": 1000}')
    assert not compare(current, desired(discovery_url='https://discovery.etcd.io/abc', master_count=3,
                                        node_count=300, docker_volume_size=1000), 'T1', same_as(None))


def test_an_upgrade_is_taken_up_when_the_cluster_reads_the_new_template_even_once_settled():
    before = json.loads('{"uuid": "C1", "status": "CREATE_COMPLETE", "cluster_template_id": "T1", '
                        '"coe_version": "v1.29.0"}')
    step = Upgrade('T2', version='v1.30.4')
    assert step.taken_up(before, dict(before)) is None
    done = json.loads('{"uuid": "C1", "status": "UPDATE_COMPLETE", "cluster_template_id": "T2", '
                      '"coe_version": "v1.30.4"}')
    assert step.taken_up(before, done) is done
    busy = dict(before, status='UPDATE_IN_PROGRESS')
    assert step.taken_up(before, busy) is busy
    assert step.taken_up(before, None) is None


def test_an_upgrade_to_a_template_of_the_same_version_is_shown_by_the_template_alone():
    # A version the cluster already runs tells nothing about the upgrade having happened.
    before = json.loads('{"uuid": "C1", "status": "CREATE_COMPLETE", "cluster_template_id": "T1", '
                        '"coe_version": "v1.29.0"}')
    step = Upgrade('T2', version='v1.29.0')
    assert step.changes(before) == {'cluster_template_id': 'T2'}
    assert step.taken_up(before, dict(before)) is None
