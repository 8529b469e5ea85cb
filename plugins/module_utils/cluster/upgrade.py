# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Upgrades that are checked: what a template brings, whether a cluster or node group runs it, and what to say
when Magnum reports an upgrade done that the records do not show."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.cluster.plan import Upgrade
from ansible_collections.coe.magnum.plugins.module_utils.cluster_drivers import upgrades_every_group


def template_version(template):
    """The Kubernetes version a template brings (its kube_tag label), or None when it does not say."""
    labels = (template or {}).get('labels') or {}
    return labels.get('kube_tag') or None


def group_version(group):
    """The version a node group runs: Magnum's `version` field, else its kube_tag label."""
    return group.get('version') or ((group.get('labels') or {}).get('kube_tag')) or None


def runs_template(record, template, current_template):
    """Whether a cluster whose cluster_template_id names `current_template` already runs what `template` brings.

    Some drivers upgrade the nodes and coe_version but leave cluster_template_id as it was; a re-run must not
    upgrade such a cluster again and again. That is only told apart when the two templates bring different
    versions: with the same kube_tag (or a template that names none) the move to `template` is a change to make.
    """
    version = template_version(template)
    return (bool(version) and record.get('coe_version') == version
            and template_version(current_template) not in (None, version))


def kept_template_warning(record, template):
    return ('Cluster %r reports coe_version %s, the kube_tag of template %r, but its cluster_template_id is still %s: '
            'its driver does not update the template reference after an upgrade. No upgrade is sent again.'
            % (record.get('name'), record.get('coe_version'), template.get('name'), record.get('cluster_template_id')))


def upgrade_findings(record, template_uuid, version, groups, nodegroup=None, every_group=False):
    """Warnings about a finished upgrade whose outcome the records do not show.

    groups are full node group records; with `nodegroup` only that group is checked, and not the cluster's
    template reference (a node group upgrade keeps the cluster's template). every_group: the driver upgrades every
    group with the cluster and never updates their version records, so those records tell nothing once the
    cluster runs the version.
    """
    found = []
    if nodegroup is None and record.get('cluster_template_id') != template_uuid:
        found.append('Magnum reports the upgrade of cluster %r finished, but its cluster_template_id is %s, not %s '
                     '(coe_version %s).' % (record.get('name'), record.get('cluster_template_id'),
                                            template_uuid, record.get('coe_version')))
    if version and nodegroup is None and record.get('coe_version') != version:
        found.append('Magnum reports the upgrade of cluster %r finished, but its coe_version is %s, not %s.'
                     % (record.get('name'), record.get('coe_version'), version))
    if version and not (every_group and record.get('coe_version') == version):
        behind = ['%s (%s)' % (group.get('name'), group_version(group)) for group in groups
                  if (nodegroup is None or nodegroup in (group.get('name'), group.get('uuid')))
                  and group_version(group) != version]
        if behind:
            found.append('Node groups of cluster %r that do not run %s after the upgrade: %s.%s'
                         % (record.get('name'), version, ', '.join(sorted(behind)),
                            '' if nodegroup else ' Upgrade each with the `nodegroup` option.'))
    return found


def nodegroup_upgrade_step(group, template, max_batch_size, record=None):
    """The upgrade action of one node group to the cluster's template, or None when it runs that version.

    With a driver that upgrades every group with the cluster, a cluster (`record`) running the version is the answer:
    the group's own version record never moves there, and an upgrade sent for it would be sent on every run.
    """
    version = template_version(template)
    if not version or group_version(group) == version:
        return None
    if upgrades_every_group(template) and (record or {}).get('coe_version') == version:
        return None
    return Upgrade(template.get('uuid'), max_batch_size=max_batch_size, version=version, nodegroup=group.get('name'),
                   current_version=group_version(group))
