# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PersistentVolumeClaim manifests, sizes as Kubernetes quantities, and what may change on an existing claim."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from decimal import Decimal, InvalidOperation

# Before Kubernetes 1.6 a claim named its class in this annotation; spec.storageClassName came with 1.6.
CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class'
STORAGE_CLASS_NAME_SINCE = (1, 6)
ACCESS_MODES = ('ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod')
# ReadWriteOncePod came as an alpha feature, off by default, in 1.22; the API server accepts it from 1.27 on, where
# the feature is beta and on by default, and refuses it before (422 Unsupported value).
READ_WRITE_ONCE_POD = 'ReadWriteOncePod'
READ_WRITE_ONCE_POD_SINCE = (1, 27)

_SUFFIXES = {
    'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40, 'Pi': 2 ** 50, 'Ei': 2 ** 60,
    'n': Decimal('1e-9'), 'u': Decimal('1e-6'), 'm': Decimal('1e-3'), '': 1,
    'k': 10 ** 3, 'M': 10 ** 6, 'G': 10 ** 9, 'T': 10 ** 12, 'P': 10 ** 15, 'E': 10 ** 18,
}
_QUANTITY = re.compile(r'^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$')


def parse_quantity(text):
    """The value of a Kubernetes quantity (1Gi, 500M, 1e9, 1073741824) as a Decimal; ValueError if it is not one."""
    # No surrounding space: the API server's parser refuses "1Gi " as well.
    match = _QUANTITY.fullmatch(str(text))
    if not match:
        raise ValueError('%r is not a Kubernetes quantity (examples: 1Gi, 500Mi, 10G)' % (text,))
    number, exponent, suffix = match.groups()
    try:
        value = Decimal(number + (exponent or ''))
    except InvalidOperation:
        raise ValueError('%r is not a Kubernetes quantity' % (text,)) from None
    return value * _SUFFIXES[suffix or '']


def unsupported_access_modes(claim, facts):
    """The claim's access modes the cluster's API server refuses."""
    if facts.at_least(READ_WRITE_ONCE_POD_SINCE):
        return []
    return [mode for mode in claim.get('access_modes') or [] if mode == READ_WRITE_ONCE_POD]


def class_of(claim):
    """The class a claim asks for, in either of the forms Kubernetes has used; None when it names none."""
    spec = claim.get('spec') or {}
    if spec.get('storageClassName') is not None:
        return spec['storageClassName']
    return ((claim.get('metadata') or {}).get('annotations') or {}).get(CLASS_ANNOTATION)


def requested_size(claim):
    return (((claim.get('spec') or {}).get('resources') or {}).get('requests') or {}).get('storage')


def phase_of(claim):
    return ((claim or {}).get('status') or {}).get('phase')


def build(claim, class_name, facts):
    """The PersistentVolumeClaim manifest; class_name None leaves the choice to the cluster's default class."""
    metadata = {'name': claim['name'], 'namespace': claim['namespace']}
    spec = {
        'accessModes': list(claim['access_modes']),
        'resources': {'requests': {'storage': str(claim['size'])}},
    }
    if class_name is not None:
        if facts.at_least(STORAGE_CLASS_NAME_SINCE):
            spec['storageClassName'] = class_name
        else:
            metadata['annotations'] = {CLASS_ANNOTATION: class_name}
    return {'apiVersion': 'v1', 'kind': 'PersistentVolumeClaim', 'metadata': metadata, 'spec': spec}


def differences(existing, desired):
    """(fixed, size_change) between a claim and the wanted one.

    fixed lists (option, current, wanted) for what a claim cannot change after creation; size_change is
    'grow', 'shrink' or None.
    """
    fixed = []
    current_modes = sorted((existing.get('spec') or {}).get('accessModes') or [])
    wanted_modes = sorted(desired['spec']['accessModes'])
    if current_modes != wanted_modes:
        fixed.append(('access_modes', current_modes, wanted_modes))
    wanted_class = class_of(desired)
    if wanted_class is not None and class_of(existing) != wanted_class:
        fixed.append(('storage_class', class_of(existing), wanted_class))
    current = parse_quantity(requested_size(existing) or 0)
    wanted = parse_quantity(requested_size(desired))
    size_change = None
    if wanted > current:
        size_change = 'grow'
    elif wanted < current:
        size_change = 'shrink'
    return fixed, size_change


def resize_patch(size):
    return {'spec': {'resources': {'requests': {'storage': str(size)}}}}


def view(obj):
    """The fields of a claim a person cares about, for results and diffs."""
    if not obj:
        return {}
    metadata = obj.get('metadata') or {}
    shown = {'name': metadata.get('name'), 'namespace': metadata.get('namespace')}
    for key in ('annotations', 'labels', 'creationTimestamp', 'uid'):
        if metadata.get(key):
            shown[key] = metadata[key]
    spec = obj.get('spec') or {}
    result = {'apiVersion': 'v1', 'kind': 'PersistentVolumeClaim', 'metadata': shown,
              'spec': dict((key, spec[key]) for key in ('accessModes', 'resources', 'storageClassName',
                                                        'volumeName', 'volumeMode') if key in spec)}
    status = obj.get('status') or {}
    # A claim the server has not looked at yet has no status; Kubernetes shows it as Pending.
    result['status'] = dict((key, status[key]) for key in ('capacity', 'accessModes') if key in status)
    result['status']['phase'] = status.get('phase') or 'Pending'
    return result
