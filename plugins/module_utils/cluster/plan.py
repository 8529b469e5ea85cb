# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan for an existing cluster: how it differs from the task, and the steps that bring it there."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.cluster.model import (
    COLLECTION,
    CREATE_ONLY_FIELDS,
    MAGNUM_TO_OPTION,
    RESOURCE_KIND,
    describe,
    is_busy,
    public_record,
)
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, capitalised
from ansible_collections.coe.magnum.plugins.module_utils.magnum_api import FEATURE_VERSIONS, parse_version
from ansible_collections.coe.magnum.plugins.module_utils.patch import labels_match

# What the magnum CLI and python-magnumclient send when the user gives no batch size (Magnum answers HTTP 500,
# "Cannot convert Unset to primitive", to an upgrade request without one).
DEFAULT_MAX_BATCH_SIZE = 1
# The fields an in-place step changes in the cluster's record, which tell that Magnum has carried it out.
STEP_FIELDS = ('node_count', 'cluster_template_id', 'coe_version')


class Step:
    """One change of an existing cluster: the request that makes it, the record it predicts, and the test that
    Magnum's conductor has taken it up (what a request whose answer was lost is confirmed by)."""

    action = None
    nodegroup = None

    def send(self, magnum, uuid):
        raise NotImplementedError

    def predict(self, record):
        """The cluster's record once the step is done (a node group's step leaves the cluster's record as it is)."""
        return dict(record)

    def taken_up(self, before, found):
        """`found`, the cluster read again, when Magnum is carrying out the step or has done it; else None."""
        if found is None:
            return None
        if is_busy(found.get('status')):
            return found
        if any(found.get(field) == value for field, value in self.changes(before).items()):
            return found
        return None

    def changes(self, before):
        """The fields of the cluster's record the step changes, with the values they read once it is done: what
        tells a save of Magnum's health sync under the old status from the conductor's (see watch.Processed)."""
        after = self.predict(before)
        return dict((field, after[field]) for field in STEP_FIELDS
                    if field in after and after[field] != before.get(field))


class Recreate(Step):
    """Delete the cluster and create it again: what Magnum cannot change in place (carried out by the actions)."""

    action = 'recreate'


class Upgrade(Step):
    """The upgrade action (API 1.8) of the cluster, or of one node group (API 1.9), to a template."""

    action = 'upgrade'

    def __init__(self, cluster_template, max_batch_size=None, version=None, nodegroup=None, current_version=None,
                 every_group=False):
        self.cluster_template = cluster_template
        self.max_batch_size = max_batch_size
        self.version = version
        self.nodegroup = nodegroup
        self.current_version = current_version
        # The template's driver upgrades every node group with the cluster (see cluster_drivers).
        self.every_group = every_group

    def send(self, magnum, uuid):
        body = dict(cluster_template=self.cluster_template,
                    max_batch_size=self.max_batch_size or DEFAULT_MAX_BATCH_SIZE)
        if self.nodegroup:
            body['nodegroup'] = self.nodegroup
        with magnum.at('nodegroups' if self.nodegroup else 'upgrade'):
            magnum.cluster_action(uuid, 'upgrade', body)

    def predict(self, record):
        after = dict(record)
        if not self.nodegroup:
            after['cluster_template_id'] = self.cluster_template
            if self.version:
                after['coe_version'] = self.version
        return after


class Resize(Step):
    """The resize action (API 1.7) of the default or a named node group; `features` are the API versions it needs."""

    action = 'resize'

    def __init__(self, node_count, nodes_to_remove=None, nodegroup=None, features=('resize',)):
        self.node_count = node_count
        self.nodes_to_remove = nodes_to_remove or []
        self.nodegroup = nodegroup
        self.features = list(features)

    def send(self, magnum, uuid):
        body = dict(node_count=self.node_count)
        if self.nodes_to_remove:
            body['nodes_to_remove'] = self.nodes_to_remove
        if self.nodegroup:
            body['nodegroup'] = self.nodegroup
        with magnum.at(max(self.features, key=lambda feature: parse_version(FEATURE_VERSIONS[feature]))):
            magnum.cluster_action(uuid, 'resize', body)

    def predict(self, record):
        return record_with_node_count(record, self.node_count, self.nodegroup)


class PatchNodeCount(Step):
    """A PATCH of node_count, how APIs older than 1.7 (without the resize action) change the size."""

    action = 'patch'

    def __init__(self, node_count):
        self.node_count = node_count
        self.operations = [dict(op='replace', path='/node_count', value=node_count)]

    def send(self, magnum, uuid):
        magnum.patch(COLLECTION, uuid, self.operations)

    def predict(self, record):
        return record_with_node_count(record, self.node_count, self.nodegroup)


def record_with_node_count(record, node_count, nodegroup):
    after = dict(record)
    if not nodegroup:
        after['node_count'] = node_count
    return after


class Comparison:
    """How an existing cluster differs from the task: template, node count, and fields fixed at creation."""

    def __init__(self, template=None, node_count=None, fixed=None):
        self.template = template
        self.node_count = node_count
        self.fixed = fixed or []

    def __bool__(self):
        return bool(self.template or self.node_count or self.fixed)


def _change(field, current, wanted):
    return dict(field=field, parameter=MAGNUM_TO_OPTION.get(field, field), current=current, wanted=wanted)


def compare(current, desired, template_uuid, same, current_node_count=None):
    """The Comparison of an existing cluster record with the task.

    same(kind, stored, wanted, parameter) says whether a stored name-or-ID designates the wanted resource.
    current_node_count overrides the record's node_count (the size of a named or default node group).
    """
    found = Comparison()
    if template_uuid and current.get('cluster_template_id') != template_uuid:
        found.template = _change('cluster_template_id', current.get('cluster_template_id'), template_uuid)
    for field, wanted in sorted(desired.given().items()):
        if field in CREATE_ONLY_FIELDS:
            continue
        existing = current.get(field)
        if field == 'node_count':
            existing = current_node_count if current_node_count is not None else existing
            if existing != wanted:
                found.node_count = _change(field, existing, wanted)
            continue
        if field == 'labels':
            equal = labels_match(existing, wanted, desired.merge_labels)
        elif field in RESOURCE_KIND:
            equal = same(RESOURCE_KIND[field], existing, wanted, MAGNUM_TO_OPTION[field])
        else:
            equal = existing == wanted
        if not equal:
            found.fixed.append(_change(field, existing, wanted))
    return found


def summary(changes):
    return '; '.join('%s (current %r, wanted %r)' % (c['parameter'], c['current'], c['wanted']) for c in changes)


def plan_update(record, comparison, desired, allow_upgrade, recreate, supports):
    """The steps that bring an existing, settled cluster to the task, or a CoeError saying why it cannot.

    Steps: a Recreate alone, or in-place Upgrade, Resize and PatchNodeCount steps in the order they are sent.
    supports(feature) asks the server's API version, only when an in-place change needs it.
    """
    if not comparison:
        return []
    refused = list(comparison.fixed)
    upgrade_note = ''
    if comparison.template:
        if not allow_upgrade:
            refused.append(comparison.template)
            upgrade_note = (' A different cluster_template is applied with the upgrade action when allow_upgrade '
                            'is true.')
        elif not supports('upgrade'):
            refused.append(comparison.template)
            upgrade_note = ' The upgrade action needs Magnum API 1.8, which this cloud does not serve.'
    if refused:
        if recreate:
            return [Recreate()]
        raise CoeError(
            '%s differs from the task in what Magnum cannot change in place: %s.%s Set recreate: true to delete '
            'it and create it again.' % (capitalised(describe(record)), summary(refused), upgrade_note),
            differences=refused, cluster=public_record(record))
    steps = []
    if comparison.template:
        steps.append(Upgrade(comparison.template['wanted'], max_batch_size=desired.max_batch_size))
    if comparison.node_count:
        steps.append(node_count_step(comparison.node_count['wanted'], desired, supports))
    return steps


def node_count_step(node_count, desired, supports):
    """The resize action where the API has it (1.7), else a PATCH of node_count; refuse what the API cannot do."""
    if node_count == 0 and not supports('zero_node_count'):
        raise CoeError('A node_count of 0 needs Magnum API 1.10, which this cloud does not serve.',
                       parameter='node_count')
    if supports('resize'):
        features = ['resize']
        if desired.nodegroup:
            features.append('nodegroups')
        if node_count == 0:
            features.append('zero_node_count')
        return Resize(node_count, nodes_to_remove=desired.nodes_to_remove, nodegroup=desired.nodegroup,
                      features=features)
    for option in ('nodegroup', 'nodes_to_remove'):
        if getattr(desired, option):
            raise CoeError('`%s` needs the resize action of Magnum API 1.7, which this cloud does not serve.'
                           % option, parameter=option)
    return PatchNodeCount(node_count)


def predicted_after(record, steps):
    """The record after in-place steps, as a check-mode prediction."""
    for step in steps:
        record = step.predict(record)
    return dict(record)
