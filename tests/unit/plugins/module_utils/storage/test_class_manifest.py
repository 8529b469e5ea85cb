# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.storage import class_manifest
from ansible_collections.coe.magnum.plugins.module_utils.kube_discovery import ClusterFacts
from ansible_collections.coe.magnum.tests.unit.data import cases


def facts_for(git_version, storage_versions=('v1',)):
    return ClusterFacts(git_version, storage_versions)


@pytest.mark.parametrize('case', cases('kube/storage_class_manifests.yml'))
def test_manifest(case):
    facts = facts_for(case['git_version'], case['storage_versions'])
    manifest = class_manifest.build(case['spec'], case['provisioner'], facts, keep_metadata=case.get('keep_metadata'))
    assert manifest == case['manifest']


@pytest.mark.parametrize('case', cases('kube/default_annotations.yml'))
def test_default_annotation_handling(case):
    facts = facts_for(case['git_version'])
    obj = {'metadata': {'name': 'x', 'annotations': case['annotations']}}
    assert class_manifest.is_default(obj, facts) == case['is_default']
    if 'make_default' in case:
        assert class_manifest.default_changes(obj, True, facts) == case['make_default']
    if 'clear_default' in case:
        assert class_manifest.default_changes(obj, False, facts) == case['clear_default']


@pytest.mark.parametrize('case', cases('kube/immutable_fields.yml'))
def test_immutable_fields_and_patch(case):
    fixed = class_manifest.immutable_differences(case['existing'], case['desired'])
    assert [list(item) for item in fixed] == case['fixed']
    assert class_manifest.mutable_patch(case['existing'], case['desired'], case.get('annotations')) == case['patch']


@pytest.mark.parametrize('git_version, spec, problems', [
    ('v1.5.3', {'reclaim_policy': 'Delete', 'volume_binding_mode': 'Immediate', 'mount_options': []}, 0),
    ('v1.5.3', {'reclaim_policy': 'Retain', 'mount_options': ['ro'], 'allow_volume_expansion': True}, 3),
    ('v1.5.3', {'allow_volume_expansion': False}, 0),
    ('v1.8.0', {'reclaim_policy': 'Retain', 'volume_binding_mode': 'WaitForFirstConsumer'}, 1),
    ('v1.9.0', {'volume_binding_mode': 'WaitForFirstConsumer'}, 0),
])
def test_options_the_cluster_cannot_store(git_version, spec, problems):
    assert len(class_manifest.unsupported_options(spec, facts_for(git_version))) == problems


def test_merge_patch_prediction():
    obj = {'metadata': {'name': 'a', 'annotations': {'x': '1', 'y': '2'}}, 'mountOptions': ['a']}
    patched = class_manifest.apply_patch(obj, {'metadata': {'annotations': {'x': None, 'z': '3'}}, 'mountOptions': []})
    assert patched == {'metadata': {'name': 'a', 'annotations': {'y': '2', 'z': '3'}}, 'mountOptions': []}
    assert obj['metadata']['annotations'] == {'x': '1', 'y': '2'}


def test_an_option_the_cluster_cannot_store_is_named_with_the_version_it_needs():
    spec = {'volume_binding_mode': 'WaitForFirstConsumer', 'reclaim_policy': 'Retain'}
    assert class_manifest.unsupported_options(spec, facts_for('v1.8.0')) == [
        'storage_class.volume_binding_mode=WaitForFirstConsumer needs Kubernetes 1.9 or later; the cluster runs v1.8.0']


def test_parameters_are_sent_as_the_strings_kubernetes_stores():
    assert class_manifest.stringify({'fsType': 'ext4', 'iops': 100, 'encrypted': True, 'replicated': False,
                                    1: 2.5}) == {
        'fsType': 'ext4', 'iops': '100', 'encrypted': 'true', 'replicated': 'false', '1': '2.5'}
    assert class_manifest.stringify(None) == {}


def test_a_class_is_shown_with_what_a_person_cares_about():
    obj = {'apiVersion': 'storage.k8s.io/v1', 'kind': 'StorageClass',
           'metadata': {'name': 'standard', 'uid': 'u-1', 'labels': {}, 'resourceVersion': '9',
                        'annotations': {class_manifest.DEFAULT_CLASS_ANNOTATION: 'true'}},
           'provisioner': 'cinder.csi.openstack.org', 'parameters': {'type': 'ssd'}, 'reclaimPolicy': 'Retain',
           'allowVolumeExpansion': True, 'mountOptions': [], 'volumeBindingMode': 'Immediate'}
    assert class_manifest.view(obj) == {
        'apiVersion': 'storage.k8s.io/v1', 'kind': 'StorageClass',
        'metadata': {'name': 'standard', 'uid': 'u-1',
                     'annotations': {class_manifest.DEFAULT_CLASS_ANNOTATION: 'true'}},
        'provisioner': 'cinder.csi.openstack.org', 'parameters': {'type': 'ssd'}, 'reclaimPolicy': 'Retain',
        'volumeBindingMode': 'Immediate', 'allowVolumeExpansion': True, 'mountOptions': []}
    assert class_manifest.view(None) == {}


def test_a_merge_patch_adds_what_the_object_lacks_and_replaces_what_is_not_a_mapping():
    obj = {'metadata': {'name': 'a'}, 'parameters': 'odd'}
    assert class_manifest.apply_patch(obj, {'metadata': {'annotations': {'x': 'true'}}, 'parameters': {'t': '1'},
                                            'missing': None}) == {
        'metadata': {'name': 'a', 'annotations': {'x': 'true'}}, 'parameters': {'t': '1'}}


@pytest.mark.parametrize('git_version, annotation', [
    ('v1.5.3', class_manifest.DEFAULT_CLASS_BETA_ANNOTATION),
    ('v1.6.0', class_manifest.DEFAULT_CLASS_ANNOTATION),
])
def test_the_default_class_is_marked_with_the_annotation_its_version_introduced(git_version, annotation):
    assert class_manifest.default_annotation(facts_for(git_version)) == annotation


@pytest.mark.parametrize('git_version, problems', [('v1.7.9', 2), ('v1.8.0', 0)])
def test_volume_expansion_and_mount_options_need_kubernetes_1_8(git_version, problems):
    spec = {'allow_volume_expansion': True, 'mount_options': ['noatime']}
    assert len(class_manifest.unsupported_options(spec, facts_for(git_version))) == problems
