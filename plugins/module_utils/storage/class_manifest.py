# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""StorageClass manifests: the fields each Kubernetes version knows, the default-class annotations, and which
differences the API server refuses to change in place."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.kube_client import merge_patched

DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class'
DEFAULT_CLASS_BETA_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class'
# The GA annotation is read from Kubernetes 1.6 on; the beta one is still read by every later version.
DEFAULT_CLASS_ANNOTATION_SINCE = (1, 6)

# spec field -> (option name, first Kubernetes version that has it, value the server assumes when it is absent)
FIELDS = (
    ('reclaimPolicy', 'reclaim_policy', (1, 8), 'Delete'),
    ('mountOptions', 'mount_options', (1, 8), []),
    ('allowVolumeExpansion', 'allow_volume_expansion', (1, 8), False),
    ('volumeBindingMode', 'volume_binding_mode', (1, 9), 'Immediate'),
)
# Fields the API server rejects changes of (422 "updates to ... are forbidden"), as their option names.
IMMUTABLE = (
    ('provisioner', 'provisioner', None),
    ('parameters', 'parameters', {}),
    ('reclaimPolicy', 'reclaim_policy', 'Delete'),
    ('volumeBindingMode', 'volume_binding_mode', 'Immediate'),
)
MUTABLE = (
    ('allowVolumeExpansion', False),
    ('mountOptions', []),
)


def readable_default_annotations(facts):
    if facts.at_least(DEFAULT_CLASS_ANNOTATION_SINCE):
        return (DEFAULT_CLASS_ANNOTATION, DEFAULT_CLASS_BETA_ANNOTATION)
    return (DEFAULT_CLASS_BETA_ANNOTATION,)


def default_annotation(facts):
    """The annotation this server reads to mark the default class, in the form it was introduced."""
    return readable_default_annotations(facts)[0]


def annotations_of(obj):
    return ((obj or {}).get('metadata') or {}).get('annotations') or {}


def is_default(obj, facts):
    annotations = annotations_of(obj)
    return any(annotations.get(name) == 'true' for name in readable_default_annotations(facts))


def default_changes(obj, want_default, facts):
    """Annotation changes that make obj the default class (or stop it being one); {} when it already is as wanted."""
    if want_default == is_default(obj, facts):
        return {}
    if want_default:
        return {default_annotation(facts): 'true'}
    annotations = annotations_of(obj)
    return dict((name, 'false') for name in readable_default_annotations(facts) if annotations.get(name) == 'true')


def unsupported_options(spec, facts):
    """Messages for options set to something the cluster's Kubernetes version cannot store."""
    problems = []
    for _field, option, since, absent in FIELDS:
        value = spec.get(option)
        if value is None or value == absent or facts.at_least(since):
            continue
        problems.append('storage_class.%s=%s needs Kubernetes %d.%d or later; the cluster runs %s'
                        % (option, value, since[0], since[1], facts.git_version))
    return problems


def build(spec, provisioner, facts, keep_metadata=None):
    """The StorageClass manifest for spec (the module's storage_class option) on this cluster."""
    metadata = {'name': spec['name']}
    annotations = dict(annotations_of({'metadata': keep_metadata}))
    for name in (DEFAULT_CLASS_ANNOTATION, DEFAULT_CLASS_BETA_ANNOTATION):
        annotations.pop(name, None)
    if spec.get('default'):
        annotations[default_annotation(facts)] = 'true'
    if annotations:
        metadata['annotations'] = annotations
    if keep_metadata and keep_metadata.get('labels'):
        metadata['labels'] = dict(keep_metadata['labels'])
    manifest = {
        'apiVersion': facts.storage_api_version,
        'kind': 'StorageClass',
        'metadata': metadata,
        'provisioner': provisioner,
    }
    parameters = stringify(spec.get('parameters'))
    if parameters:
        manifest['parameters'] = parameters
    for field, option, since, _absent in FIELDS:
        value = spec.get(option)
        if value is not None and facts.at_least(since) and not (field == 'mountOptions' and not value):
            manifest[field] = value
    return manifest


def stringify(parameters):
    """StorageClass parameters are a map of strings; YAML gives numbers and booleans for some values."""
    result = {}
    for key, value in (parameters or {}).items():
        if isinstance(value, bool):
            value = 'true' if value else 'false'
        result[str(key)] = str(value)
    return result


def immutable_differences(existing, desired):
    """[(option, current, wanted)] for the fields that would have to change but cannot in place."""
    differences = []
    for field, option, absent in IMMUTABLE:
        if field not in desired and field != 'parameters':
            continue
        current = existing.get(field, absent)
        wanted = desired.get(field, absent)
        if field == 'parameters':
            current, wanted = current or {}, wanted or {}
        if current != wanted:
            differences.append((option, current, wanted))
    return differences


def mutable_patch(existing, desired, annotation_changes):
    """The merge patch that brings existing to desired in the fields that can change; {} when none differ."""
    patch = {}
    for field, absent in MUTABLE:
        if field in desired and existing.get(field, absent) != desired[field]:
            patch[field] = desired[field]
    if annotation_changes:
        patch['metadata'] = {'annotations': dict(annotation_changes)}
    return patch


def apply_patch(obj, patch):
    """What a JSON merge patch does to obj, for the predictions of check mode."""
    return merge_patched(obj, patch)


def view(obj):
    """The fields of a StorageClass a person cares about, for results and diffs."""
    if not obj:
        return {}
    metadata = obj.get('metadata') or {}
    shown = {'name': metadata.get('name')}
    for key in ('annotations', 'labels', 'creationTimestamp', 'uid'):
        if metadata.get(key):
            shown[key] = metadata[key]
    result = {'apiVersion': obj.get('apiVersion'), 'kind': 'StorageClass', 'metadata': shown,
              'provisioner': obj.get('provisioner')}
    for key in ('parameters', 'reclaimPolicy', 'volumeBindingMode', 'allowVolumeExpansion', 'mountOptions'):
        if key in obj:
            result[key] = obj[key]
    return result
