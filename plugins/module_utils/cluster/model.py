# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Clusters as the module sees them: module options to Magnum fields, statuses, messages and the wanted cluster."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, capitalised
from ansible_collections.coe.magnum.plugins.module_utils.patch import normalise_labels
from ansible_collections.coe.magnum.plugins.module_utils.validation import check_labels, check_minimum

COLLECTION = 'clusters'

# module option -> (Magnum field, kind of OpenStack resource it names or None)
FIELDS = {
    'master_count': ('master_count', None),
    'node_count': ('node_count', None),
    'flavor': ('flavor_id', 'flavor'),
    'master_flavor': ('master_flavor_id', 'flavor'),
    'keypair': ('keypair', 'keypair'),
    'labels': ('labels', None),
    'docker_volume_size': ('docker_volume_size', None),
    'fixed_network': ('fixed_network', 'network'),
    'fixed_subnet': ('fixed_subnet', 'subnet'),
    'floating_ip_enabled': ('floating_ip_enabled', None),
    'master_lb_enabled': ('master_lb_enabled', None),
    'discovery_url': ('discovery_url', None),
    'create_timeout': ('create_timeout', None),
}
MAGNUM_TO_OPTION = dict((field, option) for option, (field, _kind) in FIELDS.items())
MAGNUM_TO_OPTION['cluster_template_id'] = 'cluster_template'
RESOURCE_KIND = dict((field, kind) for field, kind in FIELDS.values() if kind)

# Read by Magnum at create time only: a later difference means nothing and is not compared.
CREATE_ONLY_FIELDS = frozenset(('create_timeout',))

# Fields a user sees in the diff, in the order Magnum documents them.
DIFF_FIELDS = ('name', 'cluster_template_id', 'master_count', 'node_count', 'flavor_id', 'master_flavor_id',
               'keypair', 'labels', 'docker_volume_size', 'fixed_network', 'fixed_subnet', 'floating_ip_enabled',
               'master_lb_enabled', 'discovery_url', 'create_timeout', 'status')

# Magnum's name rule for clusters; a UUID-looking name can only be a lookup, never a new cluster's name.
UUID_PATTERN = re.compile(r'^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$')

# Template fields a new cluster inherits when the request leaves them out (cluster field -> template field).
INHERITED_FROM_TEMPLATE = {
    'flavor_id': 'flavor_id',
    'master_flavor_id': 'master_flavor_id',
    'keypair': 'keypair_id',
    'docker_volume_size': 'docker_volume_size',
    'fixed_network': 'fixed_network',
    'fixed_subnet': 'fixed_subnet',
    'floating_ip_enabled': 'floating_ip_enabled',
    'master_lb_enabled': 'master_lb_enabled',
}


def is_failed(status):
    return bool(status) and status.endswith('_FAILED')


def is_complete(status):
    return bool(status) and status.endswith('_COMPLETE')


def is_busy(status):
    return bool(status) and status.endswith('_IN_PROGRESS')


def progress_of(status):
    """Where Magnum is with a cluster, in the words the modules return: in_progress, complete or failed; None for
    no status."""
    for test, word in ((is_busy, 'in_progress'), (is_complete, 'complete'), (is_failed, 'failed')):
        if test(status):
            return word
    return None


def looks_like_uuid(value):
    return bool(value) and bool(UUID_PATTERN.match(value))


def describe(record):
    """"cluster 'name' (uuid)" for messages."""
    name = record.get('name')
    uuid = record.get('uuid')
    if name and uuid:
        return 'cluster %r (%s)' % (name, uuid)
    return 'cluster %r' % (name or uuid)


def failure_reason(record):
    """Magnum's status_reason and the node group faults of a failed cluster, in one sentence."""
    reason = record.get('status_reason') or 'Magnum gave no reason'
    faults = record.get('faults') or {}
    if faults:
        reason += '; faults: ' + '; '.join('%s: %s' % (group, faults[group]) for group in sorted(faults))
    return reason


def failed_error(record, doing=None):
    """The CoeError for a cluster in a *_FAILED status."""
    msg = '%s is %s%s: %s' % (capitalised(describe(record)), record.get('status'),
                              ' after %s' % doing if doing else '', failure_reason(record))
    return CoeError(msg, status=record.get('status'), status_reason=record.get('status_reason'),
                    faults=record.get('faults') or {}, cluster=public_record(record))


def public_record(record):
    """A cluster record for results: Magnum's fields without the API links."""
    if record is None:
        return None
    return dict((key, value) for key, value in record.items() if key != 'links')


def diff_view(record):
    if not record:
        return {}
    return dict((field, record.get(field)) for field in DIFF_FIELDS if field in record)


class DesiredCluster:
    """What the task asks for: Magnum fields (None = "leave it to Magnum/the template") and how to get there."""

    def __init__(self, name, template, fields, merge_labels=False, nodegroup=None, nodes_to_remove=None,
                 max_batch_size=None, force_node_count=False):
        self.name = name
        self.template = template
        self.fields = fields
        self.merge_labels = merge_labels
        self.nodegroup = nodegroup
        self.nodes_to_remove = nodes_to_remove or []
        self.max_batch_size = max_batch_size
        self.force_node_count = force_node_count

    @classmethod
    def from_params(cls, params):
        validate_params(params)
        # Magnum gives a cluster the template's labels when the request's labels are empty.
        fields = fields_from_params(params, FIELDS, empty_labels_unset=True)
        return cls(params['name'], params.get('cluster_template'), fields,
                   merge_labels=bool(params.get('merge_labels')), nodegroup=params.get('nodegroup'),
                   nodes_to_remove=params.get('nodes_to_remove'), max_batch_size=params.get('max_batch_size'),
                   force_node_count=bool(params.get('force_node_count')))

    def given(self):
        return dict((field, value) for field, value in self.fields.items() if value is not None)

    def create_request(self, template_uuid):
        body = dict(name=self.name, cluster_template_id=template_uuid)
        body.update(self.given())
        if 'labels' in body and self.merge_labels:
            body['merge_labels'] = True
        return body

    def predicted_record(self, template, uuid=None, status=None):
        """The record Magnum will make from the create request: template values fill what the task leaves out."""
        record = dict(name=self.name, cluster_template_id=template.get('uuid'), master_count=1, node_count=1,
                      create_timeout=60, uuid=uuid, status=status)
        for field, template_field in INHERITED_FROM_TEMPLATE.items():
            record[field] = template.get(template_field)
        labels = dict(template.get('labels') or {})
        record.update(self.given())
        if self.fields.get('labels') is not None:
            if self.merge_labels:
                labels.update(self.fields['labels'])
            else:
                labels = dict(self.fields['labels'])
        record['labels'] = labels
        return record

    def needed_features(self):
        """API features the create request needs beyond the base version."""
        return ['zero_node_count'] if self.fields.get('node_count') == 0 else []


def fields_from_params(params, field_map, empty_labels_unset=False):
    """Magnum's fields from the module options by `field_map` ({option: (field, kind)}), labels as Magnum's strings;
    with `empty_labels_unset`, empty labels are no labels at all."""
    fields = {}
    for option, (field, _kind) in field_map.items():
        value = params.get(option)
        if option == 'labels' and value is not None:
            value = normalise_labels(value)
            if empty_labels_unset and not value:
                value = None
        fields[field] = value
    return fields


def validate_numbers_and_labels(params, bounds):
    """Each (option, minimum) of `bounds` and the `labels` values, refused by option name."""
    for option, minimum in bounds:
        check_minimum(params, option, minimum)
    check_labels(params.get('labels'))


def validate_params(params):
    """Reject bad option values before anything is looked up or changed, naming the option."""
    validate_numbers_and_labels(params, (('master_count', 1), ('node_count', 0), ('docker_volume_size', 1),
                                         ('create_timeout', 0), ('healthy_timeout', 0), ('max_batch_size', 1),
                                         ('delete_retries', 0), ('timeout', 1)))
    if params.get('nodes_to_remove') and params.get('node_count') is None:
        raise CoeError('`nodes_to_remove` is used when `node_count` shrinks the cluster; give `node_count` too.',
                       parameter='nodes_to_remove')
