# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from decimal import Decimal

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.storage import claim_manifest
from ansible_collections.coe.magnum.plugins.module_utils.kube_discovery import ClusterFacts
from ansible_collections.coe.magnum.tests.unit.data import load

DATA = load('kube/claims.yml')


@pytest.mark.parametrize('case', DATA['quantities'], ids=lambda case: str(case['text']))
def test_quantities(case):
    assert claim_manifest.parse_quantity(case['text']) == Decimal(str(case['bytes']))


@pytest.mark.parametrize('text', DATA['invalid'])
def test_not_quantities(text):
    with pytest.raises(ValueError, match='is not a Kubernetes quantity'):
        claim_manifest.parse_quantity(text)


@pytest.mark.parametrize('case', DATA['differences'], ids=lambda case: case['id'])
def test_differences(case):
    facts = ClusterFacts(case.get('git_version', 'v1.30.4'), ['v1'])
    claim = dict(case['claim'], name='c', namespace='default')
    desired = claim_manifest.build(claim, case['class_name'], facts)
    fixed, size_change = claim_manifest.differences(case['existing'], desired)
    assert [list(item) for item in fixed] == case['fixed']
    assert size_change == case['size_change']


@pytest.mark.parametrize('git_version, where', [('v1.5.3', 'annotation'), ('v1.6.0', 'spec')])
def test_the_class_is_named_in_the_form_the_cluster_reads(git_version, where):
    manifest = claim_manifest.build({'name': 'myvolume', 'namespace': 'default', 'size': '1Gi',
                                     'access_modes': ['ReadWriteOnce']}, 'standard', ClusterFacts(git_version, ['v1']))
    if where == 'annotation':
        assert manifest['metadata']['annotations'] == {claim_manifest.CLASS_ANNOTATION: 'standard'}
        assert 'storageClassName' not in manifest['spec']
    else:
        assert manifest['spec']['storageClassName'] == 'standard'
        assert 'annotations' not in manifest['metadata']
    assert claim_manifest.class_of(manifest) == 'standard'


def test_no_class_leaves_the_choice_to_the_cluster():
    manifest = claim_manifest.build({'name': 'c', 'namespace': 'n', 'size': '1Gi', 'access_modes': ['ReadWriteOnce']},
                                    None, ClusterFacts('v1.30.4', ['v1']))
    assert manifest == {'apiVersion': 'v1', 'kind': 'PersistentVolumeClaim',
                        'metadata': {'name': 'c', 'namespace': 'n'},
                        'spec': {'accessModes': ['ReadWriteOnce'], 'resources': {'requests': {'storage': '1Gi'}}}}


def test_a_missing_existing_size_reads_as_zero_so_any_size_grows():
    desired = claim_manifest.build({'name': 'c', 'namespace': 'n', 'size': '1Gi', 'access_modes': ['ReadWriteOnce']},
                                   None, ClusterFacts('v1.30.4', ['v1']))
    assert claim_manifest.differences({'spec': {'accessModes': ['ReadWriteOnce']}}, desired) == ([], 'grow')
    assert claim_manifest.differences({}, desired) == ([('access_modes', [], ['ReadWriteOnce'])], 'grow')


def test_a_claim_is_shown_with_what_a_person_cares_about_and_pending_until_the_server_answers():
    claim = {'apiVersion': 'v1', 'kind': 'PersistentVolumeClaim',
             'metadata': {'name': 'data', 'namespace': 'apps', 'uid': 'u-1', 'labels': {'app': 'db'},
                          'annotations': {}, 'resourceVersion': '7', 'managedFields': [{}]},
             'spec': {'accessModes': ['ReadWriteOnce'], 'resources': {'requests': {'storage': '1Gi'}},
                      'storageClassName': 'standard', 'volumeMode': 'Filesystem', 'selector': None}}
    assert claim_manifest.view(claim) == {
        'apiVersion': 'v1', 'kind': 'PersistentVolumeClaim',
        'metadata': {'name': 'data', 'namespace': 'apps', 'uid': 'u-1', 'labels': {'app': 'db'}},
        'spec': {'accessModes': ['ReadWriteOnce'], 'resources': {'requests': {'storage': '1Gi'}},
                 'storageClassName': 'standard', 'volumeMode': 'Filesystem'},
        'status': {'phase': 'Pending'}}
    claim['status'] = {'phase': 'Bound', 'capacity': {'storage': '1Gi'}, 'accessModes': ['ReadWriteOnce'],
                       'conditions': []}
    assert claim_manifest.view(claim)['status'] == {'phase': 'Bound', 'capacity': {'storage': '1Gi'},
                                                    'accessModes': ['ReadWriteOnce']}
    assert claim_manifest.view(None) == {}
    assert claim_manifest.resize_patch('2Gi') == {'spec': {'resources': {'requests': {'storage': '2Gi'}}}}


def test_a_claim_without_a_size_grows_to_even_the_smallest_size():
    desired = claim_manifest.build({'name': 'c', 'namespace': 'n', 'size': '1', 'access_modes': ['ReadWriteOnce']},
                                   None, ClusterFacts('v1.30.4', ['v1']))
    assert claim_manifest.differences({'spec': {'accessModes': ['ReadWriteOnce']}}, desired) == ([], 'grow')
