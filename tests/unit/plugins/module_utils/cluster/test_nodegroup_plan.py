# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.cluster.nodegroup_plan import (
    DesiredNodegroup, plan_update, predicted_after,
)
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError

CLUSTER = {'uuid': 'c1', 'name': 'k8s', 'flavor_id': 'm1.small', 'docker_volume_size': 10,
           'labels': {'kube_tag': 'v1.29.0'}}
# As Magnum answers it, in JSON: its strings (and numbers above 256) are other objects than the task's.
GROUP = json.loads(json.dumps({
    'uuid': 'g1', 'name': 'big', 'role': 'worker', 'flavor_id': 'm1.small', 'image_id': 'fedora-coreos-40',
    'node_count': 2, 'min_node_count': 0, 'max_node_count': None, 'labels': {'kube_tag': 'v1.29.0'},
    'docker_volume_size': 10}))


def desired(**params):
    return DesiredNodegroup.from_params(dict(params, name='big'))


def same(kind, stored, wanted, parameter):
    return stored == wanted


def refusal(**params):
    with pytest.raises(CoeError) as raised:
        desired(**params)
    return raised.value


# Each option's lowest accepted value.
LOWEST = {'node_count': 0, 'min_node_count': 0, 'max_node_count': 0, 'docker_volume_size': 1, 'timeout': 1}


@pytest.mark.parametrize('option', sorted(LOWEST))
def test_each_number_is_accepted_at_its_lowest_value_and_refused_below_it_by_name(option):
    assert desired(**{option: LOWEST[option]}).fields is not None
    error = refusal(**{option: LOWEST[option] - 1})
    assert error.details['parameter'] == option and '`%s` must be at least' % option in error.msg


def test_the_range_and_the_count_may_meet_at_their_ends():
    assert desired(node_count=2, min_node_count=2, max_node_count=2).fields['node_count'] == 2


@pytest.mark.parametrize('params, parameter, msg', [
    (dict(min_node_count=3, max_node_count=2), 'min_node_count',
     '`min_node_count` (3) must not exceed `max_node_count` (2).'),
    (dict(node_count=3, max_node_count=2), 'node_count', '`node_count` (3) must not exceed `max_node_count` (2).'),
    (dict(node_count=1, min_node_count=2), 'node_count',
     '`node_count` (1) must not be below `min_node_count` (2).'),
    (dict(node_count=1, min_node_count=2, max_node_count=5), 'node_count',
     '`node_count` (1) must not be below `min_node_count` (2).'),
])
def test_a_count_outside_the_range_is_refused_naming_both(params, parameter, msg):
    error = refusal(**params)
    assert error.msg == msg and error.details['parameter'] == parameter


def test_the_create_request_asks_to_merge_only_labels_it_carries():
    assert desired(node_count=1, merge_labels=True).create_request({}) == {'name': 'big', 'node_count': 1}
    assert desired(labels={'a': 1}, merge_labels=True).create_request({'flavor_id': 'f1'}) == {
        'name': 'big', 'labels': {'a': '1'}, 'merge_labels': True, 'flavor_id': 'f1'}


@pytest.mark.parametrize('params, labels', [
    ({}, {'kube_tag': 'v1.29.0'}),
    ({'labels': {'a': 1}}, {'a': '1'}),
    ({'labels': {'a': 1}, 'merge_labels': True}, {'kube_tag': 'v1.29.0', 'a': '1'}),
    ({'labels': {}}, {}),
])
def test_the_prediction_takes_the_clusters_labels_as_magnum_does(params, labels):
    record = desired(**params).predicted_record(CLUSTER, {})
    assert record['labels'] == labels
    assert (record['node_count'], record['min_node_count'], record['is_default'], record['role']) == (
        1, 0, False, 'worker')
    assert (record['flavor_id'], record['docker_volume_size']) == ('m1.small', 10)


@pytest.mark.parametrize('params, parameter', [
    (dict(role='infra'), 'role'), (dict(docker_volume_size=5), 'docker_volume_size'),
    (dict(docker_volume_size=20), 'docker_volume_size'), (dict(labels={'kube_tag': 'v1.30.4'}), 'labels'),
    (dict(flavor='m1.large'), 'flavor'),
])
def test_what_magnum_cannot_change_on_a_group_is_refused_naming_it(params, parameter):
    with pytest.raises(CoeError) as raised:
        plan_update(GROUP, CLUSTER, desired(**params), same)
    assert [change['parameter'] for change in raised.value.details['differences']] == [parameter]
    assert raised.value.msg.startswith("Node group 'big' of cluster 'k8s' differs from the task")


def test_the_same_values_plan_nothing():
    plan = plan_update(GROUP, CLUSTER, desired(role='worker', docker_volume_size=10, node_count=2, flavor='m1.small',
                                               labels={'kube_tag': 'v1.29.0'}), same)
    assert not plan and plan.drift is None and plan.warnings == []


def test_the_range_is_patched_and_the_count_resized_in_the_prediction():
    plan = plan_update(GROUP, CLUSTER, desired(node_count=4, min_node_count=1, max_node_count=5), same)
    assert plan.patch == [dict(op='replace', path='/min_node_count', value=1),
                          dict(op='replace', path='/max_node_count', value=5)]
    assert plan.node_count is None and plan.drift is not None  # 2 is inside 1-5: the autoscaler's count
    after = predicted_after(GROUP, plan)
    assert (after['min_node_count'], after['max_node_count'], after['node_count']) == (1, 5, 2)
    resized = plan_update(GROUP, CLUSTER, desired(node_count=4), same)
    assert resized.node_count == 4 and resized.patch == [] and predicted_after(GROUP, resized)['node_count'] == 4


@pytest.mark.parametrize('cluster_labels, group_labels', [
    ({'auto_scaling_enabled': 'true'}, {}), ({}, {'auto_scaling_enabled': 'true'}),
], ids=['on-the-cluster', 'on-the-group'])
def test_the_autoscaling_label_of_the_cluster_or_the_group_keeps_the_count(cluster_labels, group_labels):
    plan = plan_update(dict(GROUP, labels=group_labels), dict(CLUSTER, labels=cluster_labels), desired(node_count=3),
                       same)
    assert plan.node_count is None
    assert plan.drift == {'node_count': dict(current=2, wanted=3, min_node_count=0, max_node_count=None)}
    assert plan.warnings == ["Node group 'big' of cluster 'k8s' has 2 nodes where the task asks for 3; autoscaling "
                             "manages it within 0-unbounded, so the count is left as it is (force_node_count: true "
                             "sets it)."]


def test_a_range_as_stored_is_not_patched_again():
    group = json.loads(json.dumps(dict(GROUP, min_node_count=1, max_node_count=300)))
    assert not plan_update(group, CLUSTER, desired(min_node_count=1, max_node_count=300), same)
