# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.modules.magnum_nodegroup import NodegroupModule
from ansible_collections.coe.magnum.plugins.modules.magnum_nodegroup_info import NodegroupInfoModule
from ansible_collections.coe.magnum.tests.unit.cluster_fakes import ClusterCloud
from ansible_collections.coe.magnum.tests.unit.fakes import run_module

MUTATING = ('POST', 'PATCH', 'DELETE')


@pytest.fixture
def clock(clock, monkeypatch):
    """The shared fake clock, put in place of the time the code under test reads."""
    monkeypatch.setattr('time.monotonic', clock.monotonic)
    monkeypatch.setattr('time.sleep', clock.sleep)
    return clock


@pytest.fixture
def cloud(clock):
    made = ClusterCloud(clock)
    made.cluster = made.http.add_cluster('k8s', made.template, coe_version='v1.29.0', api_address='https://x:6443')
    return made


def run(cloud, check_mode=False, **args):
    args.setdefault('cluster', 'k8s')
    args.setdefault('name', 'big')
    return run_module(NodegroupModule, args, cloud, check_mode=check_mode, diff=True)


def ok(cloud, **args):
    result, failed = run(cloud, **args)
    assert not failed, result
    return result


def mutating_since(cloud, start):
    return [(method, url) for method, url, _version in cloud.http.requests[start:] if method in MUTATING]


def group_of(cloud, name='big'):
    return [g for g in cloud.http.collections['clusters'][cloud.cluster['uuid']].get('_groups', [])
            if g['name'] == name][0]


def test_create_waits_for_the_group_and_the_cluster_then_a_rerun_changes_nothing(cloud):
    result = ok(cloud, node_count=2, flavor='m1.small', labels={'role': 'big'}, merge_labels=True)
    assert result['changed'] and result['actions'] == ['create']
    assert result['nodegroup']['status'] == 'CREATE_COMPLETE' and result['nodegroup']['node_count'] == 2
    assert result['nodegroup']['labels'] == {'kube_tag': 'v1.29.0', 'role': 'big'}
    phases = [(e['phase'], e['status']) for e in result['status_history']]
    assert ('nodegroup create', 'CREATE_COMPLETE') in phases
    assert cloud.http.clusters()[0]['status'] == 'UPDATE_COMPLETE'
    start = len(cloud.http.requests)
    again = ok(cloud, node_count=2, flavor='m1.small', labels={'role': 'big'}, merge_labels=True)
    assert not again['changed'] and mutating_since(cloud, start) == []


def test_check_mode_predicts_a_create_without_sending_it(cloud):
    start = len(cloud.http.requests)
    result = ok(cloud, check_mode=True, node_count=3)
    assert result['changed'] and result['actions'] == ['create']
    assert result['diff']['before'] == {} and result['diff']['after']['node_count'] == 3
    assert result['nodegroup']['labels'] == cloud.cluster['labels']
    assert mutating_since(cloud, start) == []


def test_range_changes_in_place_and_the_count_with_the_resize_action(cloud):
    ok(cloud, node_count=1)
    start = len(cloud.http.requests)
    # 1 node is below the new range, so the count is the task's (inside it would be the autoscaler's).
    result = ok(cloud, node_count=3, min_node_count=2, max_node_count=5)
    assert result['actions'] == ['update', 'resize'] and 'drift' not in result
    assert result['nodegroup']['node_count'] == 3 and result['nodegroup']['max_node_count'] == 5
    group_path = '/clusters/%s/nodegroups/%s' % (cloud.cluster['uuid'], group_of(cloud)['uuid'])
    assert mutating_since(cloud, start) == [('PATCH', group_path),
                                            ('POST', '/clusters/%s/actions/resize' % cloud.cluster['uuid'])]


def test_autoscaled_count_inside_the_range_is_kept_and_reported(cloud):
    ok(cloud, node_count=2, min_node_count=1, max_node_count=5)
    group_of(cloud)['node_count'] = 4  # the autoscaler grew it
    start = len(cloud.http.requests)
    result = ok(cloud, node_count=2, min_node_count=1, max_node_count=6)
    assert result['changed'] and result['actions'] == ['update']
    assert result['drift'] == {'node_count': {'current': 4, 'wanted': 2, 'min_node_count': 1, 'max_node_count': 6}}
    assert 'has 4 nodes where the task asks for 2' in result['warnings'][0]
    assert result['nodegroup']['node_count'] == 4 and result['nodegroup']['max_node_count'] == 6
    assert [m for m, _url in mutating_since(cloud, start)] == ['PATCH']
    forced = ok(cloud, node_count=2, force_node_count=True)
    assert forced['actions'] == ['resize'] and forced['nodegroup']['node_count'] == 2


def test_fields_magnum_cannot_change_are_listed(cloud):
    ok(cloud, node_count=1, docker_volume_size=10)
    start = len(cloud.http.requests)
    result, failed = run(cloud, node_count=1, docker_volume_size=20, labels={'a': 'b'})
    assert failed and 'docker_volume_size (current 10, wanted 20)' in result['msg'] and 'labels' in result['msg']
    assert sorted(d['parameter'] for d in result['differences']) == ['docker_volume_size', 'labels']
    assert mutating_since(cloud, start) == []


def test_delete_waits_until_gone_and_a_rerun_changes_nothing(cloud):
    ok(cloud)
    result = ok(cloud, state='absent')
    assert result['changed'] and result['actions'] == ['delete']
    assert not cloud.http.collections['clusters'][cloud.cluster['uuid']]['_groups']
    assert not ok(cloud, state='absent')['changed']


def test_default_groups_are_never_deleted(cloud):
    start = len(cloud.http.requests)
    result, failed = run(cloud, name='default-worker', state='absent')
    assert failed and 'default node groups' in result['msg'] and result['parameter'] == 'name'
    assert mutating_since(cloud, start) == []


def test_default_worker_range_can_change(cloud):
    result = ok(cloud, name='default-worker', max_node_count=4)
    assert result['changed'] and result['actions'] == ['update'] and result['nodegroup']['max_node_count'] == 4


def test_a_failed_create_fails_with_magnums_reason(cloud):
    result, failed = run(cloud, labels={'localcloud_fail': 'create'})
    assert failed and 'CREATE_FAILED' in result['msg'] and 'injected' in result['msg']


@pytest.mark.parametrize('args, parameter', [
    (dict(node_count=-1), 'node_count'),
    (dict(min_node_count=3, max_node_count=2), 'min_node_count'),
    (dict(node_count=6, max_node_count=5), 'node_count'),
    (dict(role='master'), 'role'),
    (dict(labels={'x': {'nested': 1}}), 'labels'),
    (dict(name='..'), 'name'),
    (dict(name='big/workers'), 'name'),
    (dict(timeout=0), 'timeout'),
    (dict(cluster='k8s/default-worker'), 'cluster'),
])
def test_bad_input_is_refused_by_name_before_any_request(cloud, args, parameter):
    start = len(cloud.http.requests)
    result, failed = run(cloud, **args)
    assert failed and '`%s`' % parameter in result['msg']
    assert cloud.http.requests[start:] == []


@pytest.mark.parametrize('args, parameter', [(dict(name='..'), 'name'), (dict(cluster='k8s?x'), 'cluster')])
def test_info_refuses_names_that_change_the_url(cloud, args, parameter):
    start = len(cloud.http.requests)
    result, failed = run_module(NodegroupInfoModule, dict(dict(cluster='k8s'), **args), cloud)
    assert failed and '`%s`' % parameter in result['msg']
    assert cloud.http.requests[start:] == []


def test_old_clouds_are_told_node_groups_need_1_9(clock):
    cloud = ClusterCloud(clock, max_version='1.8')
    result, failed = run(cloud)
    assert failed and '1.9' in result['msg'] and '1.8' in result['msg']


def test_info_lists_every_group_in_full_default_ones_first(cloud):
    ok(cloud, node_count=2, max_node_count=3)
    result, failed = run_module(NodegroupInfoModule, dict(cluster='k8s'), cloud)
    assert not failed
    assert [g['name'] for g in result['nodegroups']] == ['default-master', 'default-worker', 'big']
    assert result['nodegroups'][2]['max_node_count'] == 3
    one, one_failed = run_module(NodegroupInfoModule, dict(cluster='k8s', name='big'), cloud)
    assert not one_failed and [g['name'] for g in one['nodegroups']] == ['big']
    none, none_failed = run_module(NodegroupInfoModule, dict(cluster='k8s', name='nope'), cloud)
    assert not none_failed and none['nodegroups'] == []
