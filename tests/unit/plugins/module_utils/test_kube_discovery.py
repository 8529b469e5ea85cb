# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.kube_discovery import (
    choose_provisioner,
    discover,
    parse_version,
)
from ansible_collections.coe.magnum.plugins.module_utils.storage.class_manifest import default_annotation
from ansible_collections.coe.magnum.tests.unit.data import cases
from ansible_collections.coe.magnum.tests.unit.kube_fake import FakeCluster, FakeKubeClient


@pytest.mark.parametrize('case', cases('kube/decision_table.yml'))
def test_decision_table(case):
    cluster = FakeCluster(case['cluster'])
    facts = discover(FakeKubeClient(cluster))
    installed = 'cinder.csi.openstack.org' in case['cluster'].get('csidrivers', [])
    assert facts.cinder_csi_driver == (installed and bool(case['cluster'].get('csidriver_versions')))
    if 'error' in case:
        with pytest.raises(CoeError) as caught:
            choose_provisioner(case['requested'], facts)
        for text in case['error']:
            assert text in caught.value.msg
        return
    provisioner, warnings = choose_provisioner(case['requested'], facts)
    assert provisioner == case['provisioner']
    if 'warnings' in case:
        assert len(warnings) == case['warnings']
    if 'api_error' in case:
        assert facts.storage_api_version is None
        with pytest.raises(CoeError, match=case['api_error']):
            facts.require_storage_api()
        return
    if 'api_version' in case:
        assert facts.storage_api_version == case['api_version']
    if 'annotation' in case:
        assert default_annotation(facts) == case['annotation']
    assert all(method == 'GET' for method, _path in cluster.requests)


def test_discovery_reads_csidrivers_only_where_served():
    cluster = FakeCluster({'git_version': 'v1.13.5', 'storage_versions': ['v1', 'v1beta1']})
    discover(FakeKubeClient(cluster))
    assert [path for _method, path in cluster.requests] == [
        '/version', '/apis/storage.k8s.io', '/apis/storage.k8s.io/v1', '/apis/storage.k8s.io/v1beta1']


@pytest.mark.parametrize('text, version', [
    ('v1.5.3', (1, 5)), ('v1.30.4', (1, 30)), ('v1.27.3+k3s1', (1, 27)), ('1.9.0-beta.1', (1, 9)),
])
def test_parse_version(text, version):
    assert parse_version(text) == version


@pytest.mark.parametrize('text', ['', None, 'unknown', 'vX.Y'])
def test_unreadable_versions_are_reported(text):
    with pytest.raises(CoeError, match='cannot be read'):
        parse_version(text)
