# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bringing one node group of a cluster to the wanted state, and waiting for the group and the cluster."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.cluster.model import describe as describe_cluster
from ansible_collections.coe.magnum.plugins.module_utils.cluster.model import (
    failed_error, is_busy, is_complete, is_failed,
)
from ansible_collections.coe.magnum.plugins.module_utils.cluster.model import public_record
from ansible_collections.coe.magnum.plugins.module_utils.cluster.task import ClusterTask
from ansible_collections.coe.magnum.plugins.module_utils.cluster.watch import Processed, status_of
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, capitalised
from ansible_collections.coe.magnum.plugins.module_utils.cluster.nodegroup_plan import (
    describe,
    diff_view,
    plan_update,
    predicted_after,
)
from ansible_collections.coe.magnum.plugins.module_utils.results import action_result
from ansible_collections.coe.magnum.plugins.module_utils.retry import send_confirmed

# Magnum's conductor writes a new group's row after the API has answered.
NEW_GROUP_GRACE_SECONDS = 30.0
SETTLE_SECONDS = 30.0


class NodegroupActions(ClusterTask):
    """One task's work on one node group. ensure_present/ensure_absent return the module result."""

    # Lookups
    def cluster(self, name_or_id):
        self.magnum.require('nodegroups', 'Managing node groups')
        with self._calling('look up cluster %r' % name_or_id):
            return self.resolver.magnum_require('cluster', name_or_id, 'cluster')

    def find(self, cluster, name_or_id):
        """The group in full, or None."""
        with self._calling('look up node group %r of cluster %r' % (name_or_id, cluster.get('name'))):
            with self.magnum.at('nodegroups'):
                return public_record(self.magnum.find_nodegroup(cluster['uuid'], name_or_id, sleep=self.watch.sleep))

    def all(self, cluster):
        """Every group of the cluster in full, the default ones first."""
        with self._calling('read the node groups of cluster %r' % cluster.get('name')):
            with self.magnum.at('nodegroups'):
                groups = [public_record(self.magnum.get_nodegroup(cluster['uuid'], group['uuid']))
                          for group in self.magnum.list_nodegroups(cluster['uuid'])]
        return sorted(groups, key=lambda group: (not group.get('is_default'), group.get('name') or ''))

    # States
    def ensure_present(self, cluster_ident, desired):
        cluster = self.cluster(cluster_ident)
        group = self.find(cluster, desired.name)
        if group is None:
            return self._create(cluster, desired)
        with self._calling('compare %s with the task' % describe(group, cluster)):
            plan = plan_update(group, cluster, desired, self.resolver.same)
        self.warnings.extend(plan.warnings)
        self.drift = plan.drift
        if not plan:
            return self._result(False, group, group, group)
        self._refuse_busy(cluster, group)
        after = predicted_after(group, plan)
        if self.check_mode:
            self.actions.extend(self._plan_actions(plan))
            return self._result(True, after, group, after)
        current = group
        if plan.patch:
            self.actions.append('update')
            patched = dict((op['path'].strip('/'), op['value']) for op in plan.patch)
            self._send(cluster, 'update %s' % describe(group, cluster),
                       lambda: self.magnum.patch_nodegroup(cluster['uuid'], group['uuid'], plan.patch),
                       lambda: self._shows(cluster, group, patched))
            # A resize that follows needs the cluster settled, waiting or not.
            current = self._wait_for(cluster, group, 'update', always=plan.node_count is not None, shows=patched)
        if plan.node_count is not None:
            self.actions.append('resize')
            body = dict(node_count=plan.node_count, nodegroup=group['uuid'])
            self._send(cluster, 'resize %s' % describe(group, cluster),
                       lambda: self.magnum.cluster_action(cluster['uuid'], 'resize', body),
                       lambda: self._shows(cluster, group, dict(node_count=plan.node_count)))
            current = self._wait_for(cluster, current or group, 'resize', shows=dict(node_count=plan.node_count))
        return self._result(True, current or after, group, current or after)

    def ensure_absent(self, cluster_ident, name):
        cluster = self.cluster(cluster_ident)
        group = self.find(cluster, name)
        if group is None:
            return self._result(False, None, None, None)
        if group.get('is_default'):
            raise CoeError('%s is one of the default node groups, which Magnum deletes only with the cluster; '
                           'delete the cluster instead (magnum_cluster with state: absent).'
                           % capitalised(describe(group, cluster)), parameter='name')
        changed = group.get('status') != 'DELETE_IN_PROGRESS'
        if changed:
            self.actions.append('delete')
        if self.check_mode:
            return self._result(changed, None, group, None, ident=group.get('uuid'))
        if changed:
            self._refuse_busy(cluster, group)
            self._send(cluster, 'delete %s' % describe(group, cluster),
                       lambda: self.magnum.delete_nodegroup(cluster['uuid'], group['uuid']),
                       lambda: self._deleting(cluster, group))
        if self.wait:
            self._wait_for(cluster, group, 'delete')
        return self._result(changed, None, group, None, ident=group.get('uuid'))

    # Steps
    def _create(self, cluster, desired):
        resolved = {}
        for field, kind, option in (('flavor_id', 'flavor', 'flavor'), ('image_id', 'image', 'image')):
            value = desired.fields.get(field)
            if value:
                with self._calling('look up %s %r' % (kind, value)):
                    resolved[field] = self.resolver.find(kind, value, option).get('id') or value
        predicted = desired.predicted_record(cluster, resolved)
        self.actions.append('create')
        if self.check_mode:
            return self._result(True, predicted, None, predicted)
        self._refuse_busy(cluster)
        body = desired.create_request(resolved)
        created = self._send(cluster, 'create node group %r of cluster %r' % (desired.name, cluster.get('name')),
                             lambda: self.magnum.create_nodegroup(cluster['uuid'], body),
                             lambda: self.find(cluster, desired.name))
        record = dict(predicted, uuid=(created or {}).get('uuid'), status=None, updated_at=None)
        if self.wait:
            record = self._wait_for(cluster, record, 'create')
        return self._result(True, record, None, record)

    def _refuse_busy(self, cluster, group=None):
        """Magnum refuses node group changes while the cluster or group is busy; say so before sending any."""
        checks = [('Cluster %r' % cluster.get('name'), cluster)]
        if group is not None:
            checks.append((capitalised(describe(group, cluster)), group))
        for what, record in checks:
            if is_busy(record.get('status')):
                raise CoeError('%s is %s; the node group can change only once that ends. Run again later.'
                               % (what, record.get('status')), status=record.get('status'))

    def _send(self, cluster, what, change, confirm):
        with self._calling(what):
            with self.magnum.at('nodegroups'):
                return send_confirmed(change, confirm, settle_seconds=SETTLE_SECONDS, sleep=self.watch.sleep,
                                      clock=self.watch.clock)

    def _shows(self, cluster, group, fields):
        found = self.find(cluster, group['uuid'])
        if found is not None and (is_busy(found.get('status')) or all(found.get(k) == v for k, v in fields.items())):
            return found
        return None

    def _deleting(self, cluster, group):
        found = self.find(cluster, group['uuid'])
        return True if found is None or found.get('status') == 'DELETE_IN_PROGRESS' else None

    def _wait_for(self, cluster, group, action, always=False, shows=None):
        """Wait for the group to settle (or to be gone after a delete), then for its cluster; fail on *_FAILED.

        shows: the group's fields the change sets (see cluster.watch.Processed)."""
        if not (self.wait or always):
            return None
        processed = Processed(group, shows)
        started = self.watch.clock()
        ident = group.get('uuid') or group.get('name')

        def is_done(found):
            if found is None:
                if action == 'delete':
                    return True
                if action == 'create' and self.watch.clock() - started < NEW_GROUP_GRACE_SECONDS:
                    return False
                raise CoeError('%s vanished during the %s.' % (capitalised(describe(group, cluster)), action))
            if action != 'create' and not processed(found):
                return False
            if is_failed(found.get('status')):
                raise CoeError('%s is %s after the %s: %s' % (
                    capitalised(describe(found, cluster)), found.get('status'), action,
                    found.get('status_reason') or 'Magnum gave no reason'),
                    status=found.get('status'), status_reason=found.get('status_reason'), nodegroup=found)
            return action != 'delete' and is_complete(found.get('status'))

        found = self._poll('nodegroup %s' % action, lambda: self.find(cluster, ident), is_done,
                           '%s to finish the %s' % (describe(group, cluster), action))
        settled = self.watch.until_settled(cluster) if is_busy(self._cluster_status(cluster)) else None
        if settled is not None and is_failed(settled.get('status')):
            raise failed_error(settled, 'the %s of node group %r' % (action, group.get('name')))
        return found

    def _cluster_status(self, cluster):
        record = self.watch.fetch(cluster['uuid'])
        if record is None:
            raise CoeError('%s vanished.' % capitalised(describe_cluster(cluster)))
        return record.get('status')

    def _poll(self, phase, read, is_done, what):
        """One phase of polling under the task's time budget, its statuses added to the watch's history."""
        try:
            return self.watch.waiter.wait(read, status_of, is_done, what, phase=phase)
        except CoeError as exc:
            exc.details['status_history'] = self.watch.history
            raise

    @staticmethod
    def _plan_actions(plan):
        return (['update'] if plan.patch else []) + (['resize'] if plan.node_count is not None else [])

    def _result(self, changed, record, before, after, ident=None):
        return action_result(changed, self.actions, self.watch.history, 'nodegroup', public_record(record),
                             (diff_view(before), diff_view(after)), ident=ident, drift=self.drift,
                             warnings=self.warnings)
