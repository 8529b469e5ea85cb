# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.module_utils.common.warnings import get_warning_messages

from ansible_collections.coe.magnum.plugins.module_utils import retry
from ansible_collections.coe.magnum.plugins.module_utils.cluster import watch
from ansible_collections.coe.magnum.plugins.modules.magnum_cluster_info import ClusterInfoModule
from ansible_collections.coe.magnum.tests.unit.cluster_fakes import ClusterCloud
from ansible_collections.coe.magnum.tests.unit.fakes import run_module


@pytest.fixture
def clock(clock, monkeypatch):
    """The shared fake clock, put in place of the time the code under test reads."""
    monkeypatch.setattr(watch, 'time', clock)
    monkeypatch.setattr(retry, 'time', clock)
    return clock


def cloud_with_clusters(clock, max_version='1.14'):
    cloud = ClusterCloud(clock, max_version=max_version)
    cloud.http.add_cluster('alpha', cloud.template, api_address='https://10.0.0.5:6443')
    cloud.http.add_cluster('beta', cloud.new_template, status='CREATE_FAILED', status_reason='Quota',
                           faults={'default-worker': 'No valid host'})
    cloud.http.add_cluster('gamma', cloud.template, status='UPDATE_COMPLETE', node_count=3)
    return cloud


def run(cloud, **args):
    result, failed = run_module(ClusterInfoModule, args, cloud)
    assert not failed, result
    assert not result['changed']
    return result


def names(result):
    return [c['name'] for c in result['clusters']]


def test_all_clusters_sorted_by_name(clock):
    result = run(cloud_with_clusters(clock))
    assert names(result) == ['alpha', 'beta', 'gamma']
    assert all('links' not in c for c in result['clusters'])


def test_one_cluster_by_name_or_id_with_its_faults(clock):
    cloud = cloud_with_clusters(clock)
    result = run(cloud, name='beta')
    assert names(result) == ['beta'] and result['clusters'][0]['faults'] == {'default-worker': 'No valid host'}
    uuid = result['clusters'][0]['uuid']
    assert names(run(cloud, name=uuid)) == ['beta']
    assert cloud.http.count('GET', '/clusters/detail') == 0


def test_each_record_says_where_magnum_is_with_the_cluster(clock):
    cloud = cloud_with_clusters(clock)
    cloud.http.add_cluster('delta', cloud.template, status='UPDATE_IN_PROGRESS')
    result = run(cloud)
    assert [(c['name'], c['status'], c['progress']) for c in result['clusters']] == [
        ('alpha', 'CREATE_COMPLETE', 'complete'), ('beta', 'CREATE_FAILED', 'failed'),
        ('delta', 'UPDATE_IN_PROGRESS', 'in_progress'), ('gamma', 'UPDATE_COMPLETE', 'complete')]


def test_unknown_name_is_an_empty_list(clock):
    assert run(cloud_with_clusters(clock), name='nope')['clusters'] == []


def test_several_clusters_of_one_name_are_all_returned(clock):
    cloud = cloud_with_clusters(clock)
    cloud.http.add_cluster('alpha', cloud.template)
    assert names(run(cloud, name='alpha')) == ['alpha', 'alpha']


@pytest.mark.parametrize('args, expected', [
    ({'status': ['CREATE_FAILED']}, ['beta']),
    ({'status': ['CREATE_COMPLETE', 'UPDATE_COMPLETE']}, ['alpha', 'gamma']),
    ({'cluster_template': 'k8s'}, ['alpha', 'gamma']),
    ({'cluster_template': 'k8s-new', 'status': ['CREATE_COMPLETE']}, []),
    ({'cluster_template': 'no-such-template'}, []),
])
def test_filters(clock, args, expected):
    assert names(run(cloud_with_clusters(clock), **args)) == expected


def test_node_groups_when_the_api_has_them(clock):
    result = run(cloud_with_clusters(clock), name='gamma', nodegroups=True)
    groups = result['clusters'][0]['nodegroups']
    assert [(g['role'], g['node_count']) for g in groups] == [('master', 1), ('worker', 3)]


def test_node_groups_on_an_old_api_warn(clock):
    result = run(cloud_with_clusters(clock, max_version='1.8'), name='gamma', nodegroups=True)
    assert 'nodegroups' not in result['clusters'][0]
    assert any('1.9' in warning for warning in get_warning_messages())


def test_transient_list_errors_are_retried(clock):
    cloud = cloud_with_clusters(clock)
    cloud.http.fault('GET', '/clusters/detail', status=400)
    cloud.http.fault('GET', '/clusters/detail', status=503)
    assert names(run(cloud)) == ['alpha', 'beta', 'gamma']
