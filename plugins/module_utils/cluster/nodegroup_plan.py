# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Node groups (Magnum API 1.9): module options to Magnum fields, comparison and the plan of a change."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.autoscaling import (
    KEEP,
    RESIZE,
    autoscaling_enabled,
    drift_warning,
    node_count_decision,
)
from ansible_collections.coe.magnum.plugins.module_utils.cluster.model import (
    fields_from_params,
    validate_numbers_and_labels,
)
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, capitalised
from ansible_collections.coe.magnum.plugins.module_utils.patch import labels_match

# module option -> (Magnum field, kind of OpenStack resource it names or None)
FIELDS = {
    'role': ('role', None),
    'flavor': ('flavor_id', 'flavor'),
    'image': ('image_id', 'image'),
    'node_count': ('node_count', None),
    'min_node_count': ('min_node_count', None),
    'max_node_count': ('max_node_count', None),
    'labels': ('labels', None),
    'docker_volume_size': ('docker_volume_size', None),
}
MAGNUM_TO_OPTION = dict((field, option) for option, (field, _kind) in FIELDS.items())
# What Magnum's node group PATCH accepts; node_count changes through the cluster's resize action.
PATCHABLE = ('min_node_count', 'max_node_count')
DIFF_FIELDS = ('name', 'role', 'flavor_id', 'image_id', 'node_count', 'min_node_count', 'max_node_count', 'labels',
               'docker_volume_size', 'is_default', 'status')


def describe(group, cluster):
    return 'node group %r of cluster %r' % (group.get('name'), cluster.get('name') or cluster.get('uuid'))


def diff_view(record):
    if not record:
        return {}
    return dict((field, record.get(field)) for field in DIFF_FIELDS if field in record)


def validate_params(params):
    """Bad values are refused by option name before anything is read or changed."""
    validate_numbers_and_labels(params, (('node_count', 0), ('min_node_count', 0), ('max_node_count', 0),
                                         ('docker_volume_size', 1), ('timeout', 1)))
    low, high = params.get('min_node_count'), params.get('max_node_count')
    if low is not None and high is not None and low > high:
        raise CoeError('`min_node_count` (%d) must not exceed `max_node_count` (%d).' % (low, high),
                       parameter='min_node_count')
    count = params.get('node_count')
    if count is not None and high is not None and count > high:
        raise CoeError('`node_count` (%d) must not exceed `max_node_count` (%d).' % (count, high),
                       parameter='node_count')
    if count is not None and low is not None and count < low:
        raise CoeError('`node_count` (%d) must not be below `min_node_count` (%d).' % (count, low),
                       parameter='node_count')
    if params.get('role') == 'master':
        raise CoeError('Magnum adds no master node groups (parameter `role`); the default master group is the '
                       'only one.', parameter='role')


class DesiredNodegroup:
    def __init__(self, name, fields, merge_labels=False, force_node_count=False):
        self.name = name
        self.fields = fields
        self.merge_labels = merge_labels
        self.force_node_count = force_node_count

    @classmethod
    def from_params(cls, params):
        validate_params(params)
        fields = fields_from_params(params, FIELDS)
        return cls(params['name'], fields, merge_labels=bool(params.get('merge_labels')),
                   force_node_count=bool(params.get('force_node_count')))

    def given(self):
        return dict((field, value) for field, value in self.fields.items() if value is not None)

    def create_request(self, resolved):
        """The POST body; `resolved` maps flavor_id/image_id to the IDs found."""
        body = dict(name=self.name)
        body.update(self.given())
        body.update(resolved)
        if 'labels' in body and self.merge_labels:
            body['merge_labels'] = True
        return body

    def predicted_record(self, cluster, resolved):
        """The group Magnum will make: the cluster's flavor, template image and labels where the task is silent."""
        labels = dict(cluster.get('labels') or {})
        if self.fields.get('labels') is not None:
            labels = dict(labels, **self.fields['labels']) if self.merge_labels else dict(self.fields['labels'])
        record = dict(name=self.name, cluster_id=cluster.get('uuid'), role='worker', node_count=1, min_node_count=0,
                      max_node_count=None, flavor_id=cluster.get('flavor_id'), image_id=None, is_default=False,
                      docker_volume_size=cluster.get('docker_volume_size'))
        record.update(self.given())
        record.update(resolved)
        record['labels'] = labels
        return record


class NodegroupPlan:
    """What to do to an existing group: a PATCH of the range, a resize, and the drift left to the autoscaler."""

    def __init__(self):
        self.patch = []
        self.node_count = None
        self.drift = None
        self.warnings = []

    def __bool__(self):
        return bool(self.patch or self.node_count is not None)


def plan_update(group, cluster, desired, same):
    """The NodegroupPlan for an existing group, or a CoeError listing what Magnum cannot change.

    same(kind, stored, wanted, parameter) says whether a stored flavor or image designates the wanted one.
    """
    fixed = []
    for field in ('role', 'flavor_id', 'image_id', 'labels', 'docker_volume_size'):
        wanted = desired.fields.get(field)
        if wanted is None:
            continue
        stored = group.get(field)
        if field == 'labels':
            equal = labels_match(stored, wanted, desired.merge_labels)
        elif FIELDS[MAGNUM_TO_OPTION[field]][1]:
            equal = same(FIELDS[MAGNUM_TO_OPTION[field]][1], stored, wanted, MAGNUM_TO_OPTION[field])
        else:
            equal = stored == wanted
        if not equal:
            fixed.append(dict(field=field, parameter=MAGNUM_TO_OPTION[field], current=stored, wanted=wanted))
    if fixed:
        raise CoeError('%s differs from the task in what Magnum cannot change on a node group: %s. Delete the group '
                       'and create it again to change them.'
                       % (capitalised(describe(group, cluster)),
                          '; '.join('%s (current %r, wanted %r)' % (c['parameter'], c['current'], c['wanted'])
                                    for c in fixed)),
                       differences=fixed)
    plan = NodegroupPlan()
    for field in PATCHABLE:
        wanted = desired.fields.get(field)
        if wanted is not None and group.get(field) != wanted:
            plan.patch.append(dict(op='replace', path='/%s' % field, value=wanted))
    low = desired.fields.get('min_node_count', None)
    high = desired.fields.get('max_node_count', None)
    low = group.get('min_node_count') if low is None else low
    high = group.get('max_node_count') if high is None else high
    labels = dict(cluster.get('labels') or {}, **(group.get('labels') or {}))
    wanted = desired.fields.get('node_count')
    decision = node_count_decision(group.get('node_count'), wanted, low, high, autoscaling_enabled(labels),
                                   desired.force_node_count)
    if decision == RESIZE:
        plan.node_count = wanted
    elif decision == KEEP:
        plan.drift = dict(node_count=dict(current=group.get('node_count'), wanted=wanted,
                                          min_node_count=low, max_node_count=high))
        plan.warnings.append(drift_warning(capitalised(describe(group, cluster)), group.get('node_count'), wanted,
                                           low, high))
    return plan


def predicted_after(group, plan):
    after = dict(group)
    for operation in plan.patch:
        after[operation['path'].strip('/')] = operation['value']
    if plan.node_count is not None:
        after['node_count'] = plan.node_count
    return after
