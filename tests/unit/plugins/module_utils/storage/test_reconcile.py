# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.storage.reconcile import validate

GOOD_CLAIM = {'name': 'data', 'namespace': 'default', 'size': '1Gi', 'access_modes': ['ReadWriteOnce']}


def claim(**fields):
    return dict(GOOD_CLAIM, **fields)


@pytest.mark.parametrize('params, problems', [
    pytest.param({'state': 'present', 'storage_class': {'name': 'a' * 253}, 'claims': [claim(name='b' * 253)]}, [],
                 id='names-of-253-characters'),
    pytest.param({'state': 'present', 'storage_class': {'name': 'a' * 254}}, [
        'storage_class.name %r is not a valid Kubernetes name (lower case letters, digits, "-" and ".")' % ('a' * 254)],
        id='class-name-of-254-characters'),
    pytest.param({'state': 'present', 'claims': [claim(name='b' * 254, storage_class='c' * 254)]}, [
        'claims[0].name %r is not a valid Kubernetes name' % ('b' * 254),
        'claims[0].storage_class %r is not a valid StorageClass name' % ('c' * 254)],
        id='claim-and-class-names-of-254-characters'),
    pytest.param({'state': 'present', 'claims': [claim(namespace='n' * 63, storage_class='c' * 253)]}, [],
                 id='namespace-of-63-characters'),
    pytest.param({'state': 'present', 'claims': [claim(namespace='n' * 64)]}, [
        'claims[0].namespace %r is not a valid namespace name' % ('n' * 64)], id='namespace-of-64-characters'),
    pytest.param({'state': 'present', 'claims': [claim(namespace='a.b')]}, [
        "claims[0].namespace 'a.b' is not a valid namespace name"], id='namespace-with-a-dot'),
    pytest.param({'state': 'present', 'claims': [claim(storage_class='Fast')]}, [
        "claims[0].storage_class 'Fast' is not a valid StorageClass name"], id='class-name-in-capitals'),
    pytest.param({'state': 'present', 'claims': [claim(), claim(namespace='other'), claim()]}, [
        'claims[2]: claim default/data is listed twice'], id='a-claim-listed-twice'),
    pytest.param({'state': 'present',
                  'claims': [claim(size='0'), claim(name='b', size='1'), claim(name='c', size='-1Gi')]},
                 ['claims[0].size must be larger than zero', 'claims[2].size must be larger than zero'],
                 id='sizes-of-zero-one-and-minus-one'),
    pytest.param({'state': 'present', 'claims': [claim(size=None, access_modes=[])]}, [
        'claims[0].size is required with state=present',
        'claims[0].access_modes must name at least one access mode'], id='size-and-modes-missing'),
    pytest.param({'state': 'absent', 'claims': [claim(size=None, access_modes=[])]}, [], id='absent-needs-no-size'),
    pytest.param({'state': 'present', 'claims': [claim(size='1Gi ')]}, [
        "claims[0].size: '1Gi ' is not a Kubernetes quantity (examples: 1Gi, 500Mi, 10G)"], id='size-with-a-space'),
    pytest.param({'state': 'present', 'timeout': 0}, ['timeout must be a positive number of seconds, not 0'],
                 id='timeout-zero'),
    pytest.param({'state': 'present', 'timeout': 1}, [], id='timeout-one'),
    pytest.param({'state': 'present', 'storage_class': {'name': 's', 'parameters': {
        ' ': 'x', 'type': None, 'zones': ['a'], 'opts': {'a': 1}, 'fsType': 'ext4', 'iops': 3, 'encrypted': True}}}, [
        'storage_class.parameters has an empty key',
        'storage_class.parameters.type must be a string, number or boolean, not null (a StorageClass parameter is a '
        'string)',
        'storage_class.parameters.zones must be a string, number or boolean, not list (a StorageClass parameter is a '
        'string)',
        'storage_class.parameters.opts must be a string, number or boolean, not dict (a StorageClass parameter is a '
        'string)'], id='parameter-values-that-are-not-scalars'),
])
def test_bad_options_are_found_before_any_request_each_naming_its_option(params, problems):
    assert validate(params) == problems


def test_options_read_from_json_as_ansible_passes_them_are_checked_alike():
    # Ansible hands a module its options as JSON: their strings are not the program's constants.
    params = json.loads('{"state": "present", "claims": [{"name": "data", "namespace": "default", "size": null, '
                        '"access_modes": ["ReadWriteOnce"]}]}')
    assert validate(params) == ['claims[0].size is required with state=present']
