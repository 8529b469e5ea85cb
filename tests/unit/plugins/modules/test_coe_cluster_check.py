# -*- coding: utf-8 -*-
"""coe_cluster_check as a user sees it without a cluster: its check mode, its refusals and its verdict."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from unittest import mock

import pytest

from ansible_collections.coe.magnum.plugins.module_utils import cluster_probe, kube_client
from ansible_collections.coe.magnum.plugins.modules import coe_cluster_check
from ansible_collections.coe.magnum.tests.unit.fakes import ModuleExit, module_exits


def no_connection(params):
    raise AssertionError('the module connected to Kubernetes')


def run_module(params, check_mode=False):
    with module_exits(dict(params, _ansible_check_mode=check_mode)), \
            mock.patch.object(kube_client, 'connect', no_connection):
        with pytest.raises(ModuleExit) as caught:
            coe_cluster_check.main()
    return caught.value.failed, caught.value.result


def test_check_mode_lists_what_would_be_tested_without_a_request():
    failed, result = run_module({'expected_nodes': 3, 'workload': False}, check_mode=True)
    assert not failed and result['changed'] is False
    assert [check['name'] for check in result['checks']] == [
        'api', 'nodes', 'default_storage_class', 'claim', 'cleanup']
    assert 'would test: 3 node(s) Ready' in result['summary']


def test_expected_nodes_below_one_is_refused_naming_the_option():
    failed, result = run_module({'expected_nodes': 0}, check_mode=True)
    assert failed and result['msg'] == 'expected_nodes must be 1 or more, not 0'


def test_a_failed_check_fails_the_task_with_every_check_in_the_result():
    checks = [cluster_probe.result('api', cluster_probe.PASSED, 'Kubernetes v1.30.4 answers'),
              cluster_probe.result('nodes', cluster_probe.FAILED, '1 of 3 nodes Ready')]
    with mock.patch.object(coe_cluster_check, 'ClusterProbe') as probe, \
            mock.patch.object(kube_client, 'connect', lambda params: object()):
        probe.return_value.run.return_value = checks
        with module_exits({'expected_nodes': 3}):
            with pytest.raises(ModuleExit) as caught:
                coe_cluster_check.main()
    assert caught.value.failed
    assert caught.value.result['msg'] == 'The cluster check failed: 1 of 3 nodes Ready'
    assert caught.value.result['checks'] == checks
    assert caught.value.result['summary'] == ['passed: Kubernetes v1.30.4 answers', 'failed: 1 of 3 nodes Ready']
