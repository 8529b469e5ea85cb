# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bringing a cluster to the wanted state: create, upgrade, resize, recreate and delete, with their waits."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.cluster.model import (
    COLLECTION,
    MAGNUM_TO_OPTION,
    RESOURCE_KIND,
    describe,
    diff_view,
    failed_error,
    is_busy,
    is_failed,
    looks_like_uuid,
    public_record,
)
from ansible_collections.coe.magnum.plugins.module_utils.cluster.plan import (
    Recreate,
    Upgrade,
    compare,
    plan_update,
    predicted_after,
)
from ansible_collections.coe.magnum.plugins.module_utils.cluster.query import node_groups
from ansible_collections.coe.magnum.plugins.module_utils.autoscaling import (
    KEEP,
    autoscaling_enabled,
    drift_warning,
    node_count_decision,
)
from ansible_collections.coe.magnum.plugins.module_utils.cluster.upgrade import (
    kept_template_warning,
    nodegroup_upgrade_step,
    runs_template,
    template_version,
    upgrade_findings,
)
from ansible_collections.coe.magnum.plugins.module_utils.cluster.task import ClusterTask
from ansible_collections.coe.magnum.plugins.module_utils.cluster_drivers import upgrades_every_group
from ansible_collections.coe.magnum.plugins.module_utils.create_journal import describe_entry, describe_sent
from ansible_collections.coe.magnum.plugins.module_utils.errors import (
    CoeError, capitalised, http_status_of, is_unknown_outcome, translate,
)
from ansible_collections.coe.magnum.plugins.module_utils.results import action_result
from ansible_collections.coe.magnum.plugins.module_utils.retry import create_once, send_confirmed, wait_for_lookup

# After a lost answer to an update or delete, how long to look for its effect: Magnum's conductor acts
# asynchronously, some seconds after the API has answered.
CREATE_SETTLE_SECONDS = 30.0
# With wait: false, how long a create whose answer was lost is looked for by name, and a create Magnum accepted is
# waited for until its row exists, before the task ends saying that the create is in flight.
CONFIRMATION_SECONDS = 60.0
# Magnum's own default create timeout (minutes), the journal's expiry when the task sets none.
MAGNUM_CREATE_TIMEOUT_MINUTES = 60
JOURNAL_KIND = 'cluster'


class ClusterActions(ClusterTask):
    """One task's work on one cluster. ensure_present/ensure_absent return the module result."""

    def __init__(self, magnum, resolver, cloud_call, check_mode=False, wait=True, timeout=3600, watch=None,
                 create_settle_seconds=CREATE_SETTLE_SECONDS, journal=None, warn=None,
                 confirmation_seconds=CONFIRMATION_SECONDS, delete_retries=0):
        super(ClusterActions, self).__init__(magnum, resolver, cloud_call, check_mode=check_mode, wait=wait,
                                             timeout=timeout, watch=watch)
        self.create_settle_seconds = create_settle_seconds
        self.confirmation_seconds = confirmation_seconds
        self.journal = journal
        self._warn = warn or self.warnings.append
        self.delete_retries = delete_retries

    # Lookups
    def find(self, name_or_id, parameter='name'):
        return self.resolver.magnum_get('cluster', name_or_id, parameter)

    def template(self, name_or_id):
        return self.resolver.magnum_require('cluster_template', name_or_id, 'cluster_template')

    def _template(self, desired):
        with self._calling('look up cluster template %r' % desired.template):
            return self.template(desired.template)

    def current_node_count(self, record, desired):
        """The size of the node group a node_count change would resize: the named one, else the default one.

        The record's node_count sums every worker group, so the groups are read only when there is a named
        group or the sum differs from the task (and the API has node groups).
        """
        wanted = desired.fields.get('node_count')
        if wanted is None:
            return None
        if desired.nodegroup:
            self.magnum.require('nodegroups', 'The `nodegroup` option')
            groups = [group for group in node_groups(self.magnum, record['uuid'])
                      if desired.nodegroup in (group.get('name'), group.get('uuid'))]
            if not groups:
                raise no_such_group(record, desired.nodegroup)
            return groups[0].get('node_count')
        if record.get('node_count') == wanted or not self.magnum.supports('nodegroups'):
            return None
        defaults = [group for group in node_groups(self.magnum, record['uuid'])
                    if group.get('is_default') and group.get('role') != 'master']
        return defaults[0].get('node_count') if defaults else None

    # States
    def ensure_absent(self, name):
        with self._calling('look up cluster %r' % name):
            record = self.find(name)
        if record is None:
            return self._result(False, None, None, None)
        self._forget(name)
        # A delete already under way is only waited for: this task changes nothing.
        changed = record.get('status') != 'DELETE_IN_PROGRESS'
        # Magnum's 404 to the delete: gone between the lookup and the delete (another delete got there first).
        already_deleted = False
        if not self.check_mode:
            if changed:
                already_deleted = not self._delete(record)
            if self.wait:
                self._until_deleted(record)
            elif changed and not already_deleted:
                self.watch.until_started(record, 'delete')
        result = self._result(changed, None, record, None, ident=record.get('uuid'))
        if already_deleted:
            result['already_deleted'] = True
        return result

    def ensure_present(self, desired, allow_upgrade=False, recreate=False, recreate_failed=False):
        with self._calling('look up cluster %r' % desired.name):
            record = self.find(desired.name)
        if record is None and looks_like_uuid(desired.name):
            raise CoeError('No cluster has the ID %s; give a name (`name`) to create a cluster.' % desired.name,
                           parameter='name')
        if record is not None:
            self._forget(desired.name)  # a create an earlier run left in flight has its row: it is done
        before = record
        record = self._settle(record)
        if record is None:
            return self._create(desired, self._template(desired), before)
        if is_failed(record.get('status')):
            if not recreate_failed:
                error = failed_error(record)
                error.msg = error.msg.rstrip('.') + '. Set recreate_failed: true to delete it and create it again.'
                raise error
            return self._recreate(record, desired, self._template(desired))
        # A cluster built from the very template ID the task gives needs no lookup of it (a converged re-run).
        template = None
        template_uuid = record.get('cluster_template_id')
        if template_uuid != desired.template:
            template = self._template(desired)
            template_uuid = template.get('uuid')
        with self._calling('compare %s with the task' % describe(record)):
            comparison = compare(record, desired, template_uuid, self.resolver.same,
                                 self.current_node_count(record, desired))
            if comparison.template and runs_template(record, template, self._current_template(record)):
                # Upgraded already by a driver that keeps the old template reference: only say so.
                self.warnings.append(kept_template_warning(record, template))
                comparison.template = None
            if comparison.node_count and not desired.force_node_count:
                self._leave_autoscaled_count(record, desired, comparison)
            steps = plan_update(record, comparison, desired, allow_upgrade, recreate, self.magnum.supports)
            if allow_upgrade and desired.nodegroup and not (steps and isinstance(steps[0], Recreate)):
                template = template or self._template(desired)
                steps = self._with_nodegroup_upgrade(record, steps, desired, template)
            for step in steps:
                if isinstance(step, Upgrade) and step.version is None:
                    step.version = template_version(template)
                if isinstance(step, Upgrade):
                    step.every_group = upgrades_every_group(template)
        if not steps:
            return self._result(False, record, record, record)
        if isinstance(steps[0], Recreate):
            return self._recreate(record, desired, template or self._template(desired))
        if is_busy(record.get('status')):
            raise CoeError('%s is %s; it can change only once that ends. Run again with wait: true, or later.'
                           % (capitalised(describe(record)), record.get('status')), status=record.get('status'))
        return self._update(record, steps)

    def _current_template(self, record):
        """The template the cluster's record names, or None when it is gone (then nothing tells an upgrade done)."""
        return self.magnum.find('clustertemplates', record['cluster_template_id'])

    def _leave_autoscaled_count(self, record, desired, comparison):
        """Drop a node_count change that an autoscaler's range covers, reporting the drift instead."""
        group = {}
        if self.magnum.supports('nodegroups'):
            with self.magnum.at('nodegroups'):
                ident = desired.nodegroup or next(
                    (g['uuid'] for g in self.magnum.list_nodegroups(record['uuid'])
                     if g.get('is_default') and g.get('role') != 'master'), None)
                if ident:
                    group = self.magnum.get_nodegroup(record['uuid'], ident) or {}
        labels = dict(record.get('labels') or {}, **(group.get('labels') or {}))
        change = comparison.node_count
        low, high = group.get('min_node_count'), group.get('max_node_count')
        if node_count_decision(change['current'], change['wanted'], low, high, autoscaling_enabled(labels)) != KEEP:
            return
        what = ('Node group %r of %s' % (group.get('name'), describe(record))) if group else describe(record)
        self.warnings.append(drift_warning(capitalised(what), change['current'], change['wanted'], low,
                                           high))
        self.drift = dict(node_count=dict(current=change['current'], wanted=change['wanted'], min_node_count=low,
                                          max_node_count=high, nodegroup=group.get('name')))
        comparison.node_count = None

    def _with_nodegroup_upgrade(self, record, steps, desired, template):
        """Add the upgrade of the named node group (API 1.9) after any cluster upgrade, when the group does not
        run the template's version; a default group that the cluster upgrade moves needs no step of its own."""
        with self.magnum.at('nodegroups'):
            group = self.magnum.find_nodegroup(record['uuid'], desired.nodegroup)
        if group is None:
            raise no_such_group(record, desired.nodegroup)
        upgrading_cluster = any(isinstance(step, Upgrade) for step in steps)
        if upgrading_cluster and group.get('is_default'):
            return steps
        step = nodegroup_upgrade_step(group, template, desired.max_batch_size, record)
        if step is None:
            return steps
        position = 1 if upgrading_cluster else 0
        return steps[:position] + [step] + steps[position:]

    # Steps
    def _settle(self, record):
        """Let an operation under way end first: a delete always (the name must be free), others when waiting."""
        if record is None or not is_busy(record.get('status')):
            return record
        if record.get('status') == 'DELETE_IN_PROGRESS':
            if not self.check_mode:
                self.watch.until_deleted(record)
            return None
        if self.wait and not self.check_mode:
            return self.watch.until_settled(record)
        return record

    def _validate_create(self, desired):
        """Check every named resource and the API version before anything changes."""
        for field, kind in sorted(RESOURCE_KIND.items()):
            value = desired.fields.get(field)
            if value:
                with self._calling('look up %s %r' % (kind, value)):
                    self.resolver.find(kind, value, MAGNUM_TO_OPTION[field])
        for feature in desired.needed_features():
            self.magnum.require(feature, 'A node_count of 0')

    def _create(self, desired, template, before):
        self._validate_create(desired)
        self.actions.append('create')
        if self.check_mode:
            return self._result(True, desired.predicted_record(template), before, desired.predicted_record(template))
        uuid = self._send_create(desired, template)
        if self.wait:
            record = self.watch.until_created(uuid, desired.name)
        else:
            # Not waiting for the cluster, but for its row: a task run right after must find it by name.
            record = self.watch.until_stored(uuid, desired.name, self.confirmation_seconds)
        if record is None:
            # Accepted with an ID, not yet written by the conductor: the journal keeps the create in flight.
            self._warn('Magnum accepted the create of cluster %r (ID %s), but its conductor has not written the '
                       'cluster within %d seconds; it is queued. A later task finds it by name once it is written, '
                       'and on this controller waits for it rather than sending a second create.'
                       % (desired.name, uuid, self.confirmation_seconds))
            result = self._result(True, None, before, None, ident=uuid)
            result['in_flight'] = True
            return result
        self._forget(desired.name)
        return self._result(True, record, before, record)

    def _lookup_window(self):
        """How long a create in flight is looked for by name: the task's wait, or the confirmation window."""
        if self.wait:
            return max(0.0, self.timeout - self.watch.elapsed())
        return self.confirmation_seconds

    def _forget(self, name):
        if self.journal is not None:
            self.journal.forget(JOURNAL_KIND, name)

    def _send_create(self, desired, template):
        """The new cluster's UUID. A create is sent at most once per name until its row appears or it expires:
        after an answer that leaves the outcome unknown, and on a later run that finds it in the journal, the
        cluster is waited for by name (or by the ID Magnum gave) instead."""
        pending = self.journal.pending(JOURNAL_KIND, desired.name) if self.journal is not None else None
        if pending is not None:
            return self._await_in_flight(desired, pending)
        body = desired.create_request(template['uuid'])
        features = desired.needed_features()

        def create():
            if features:
                with self.magnum.at(features[0]):
                    return self.magnum.create(COLLECTION, body)
            return self.magnum.create(COLLECTION, body)

        minutes = desired.fields.get('create_timeout') or MAGNUM_CREATE_TIMEOUT_MINUTES
        entry = None
        if self.journal is not None:
            entry = self.journal.record(JOURNAL_KIND, desired.name, minutes * 60.0)
        with self._calling('create cluster %r' % desired.name):
            try:
                created, found = create_once(create, lambda: self.find(desired.name),
                                             settle_seconds=self._lookup_window(), sleep=self.watch.sleep,
                                             clock=self.watch.clock)
            except Exception as exc:
                if is_unknown_outcome(exc):
                    reason = translate(exc, 'create cluster %r' % desired.name).msg
                    raise self._in_flight_error(desired.name, entry, reason) from exc
                self._forget(desired.name)
                raise
        if self.journal is not None and not found:
            self.journal.record(JOURNAL_KIND, desired.name, minutes * 60.0, ident=created['uuid'],
                                sent=entry['sent'])
        return created['uuid']

    def _await_in_flight(self, desired, entry):
        """Wait for a create an earlier run sent: by its ID when Magnum gave one, else by name."""
        self._warn('A create of cluster %r sent at %s is still in flight (create journal); waiting for it '
                   'instead of sending another.' % (desired.name, describe_sent(entry)))
        if entry.get('id'):
            return entry['id']
        with self._calling('look up cluster %r' % desired.name):
            found = wait_for_lookup(lambda: self.find(desired.name), self._lookup_window(), sleep=self.watch.sleep,
                                    clock=self.watch.clock)
        if found is None:
            raise self._in_flight_error(desired.name, entry, 'Cluster %r has not appeared' % desired.name)
        return found['uuid']

    def _in_flight_error(self, name, entry, reason):
        how = describe_entry(entry, self.journal.path(JOURNAL_KIND, name)) if entry else (
            'the create may still be queued in Magnum and is not sent again by this task; see whether Magnum has it '
            'with `openstack coe cluster list` or coe.magnum.magnum_cluster_info before running the task again '
            '(the create journal is off).')
        waited = 'within the task\'s timeout' if self.wait else 'within %d seconds (wait: false)' % (
            self.confirmation_seconds)
        return CoeError('%s: the cluster did not appear %s; %s' % (reason.rstrip('.'), waited, how),
                        in_flight=True, cluster=name)

    def _recreate(self, record, desired, template):
        self._validate_create(desired)
        self.actions.append('delete')
        if self.check_mode:
            self.actions.append('create')
            predicted = desired.predicted_record(template)
            return self._result(True, predicted, record, predicted)
        self._delete(record)
        # The name must be free again before the new cluster is requested, waiting or not.
        self.watch.until_deleted(record)
        result = self._create(desired, template, record)
        return result

    def _update(self, record, steps):
        after = predicted_after(record, steps)
        if self.check_mode:
            self.actions.extend(step.action for step in steps)
            return self._result(True, after, record, after)
        current = record
        for index, step in enumerate(steps):
            self.actions.append(step.action)
            self._send_update(current, step)
            shows = step.changes(current)
            if self.wait or index < len(steps) - 1:
                current = self.watch.until_updated(current, step.action, shows)
            else:
                current = self.watch.until_started(current, step.action, shows)
        if self.wait:
            for step in steps:
                if isinstance(step, Upgrade):
                    self._check_upgrade(current, step)
        return self._result(True, current, record, current)

    def _check_upgrade(self, record, step):
        """Confirm from the records that the upgrade happened; warn with what was seen where it did not."""
        groups = []
        if step.version and self.magnum.supports('nodegroups'):
            with self._calling('read the node groups of %s' % describe(record)):
                with self.magnum.at('nodegroups'):
                    groups = [self.magnum.get_nodegroup(record['uuid'], group['uuid'])
                              for group in self.magnum.list_nodegroups(record['uuid'])]
        self.warnings.extend(upgrade_findings(record, step.cluster_template, step.version, groups,
                                              step.nodegroup, step.every_group))

    def _send_update(self, record, step):
        what = '%s %s' % (step.action, describe(record))
        with self._calling(what):
            send_confirmed(lambda: step.send(self.magnum, record['uuid']),
                           lambda: step.taken_up(record, self.find(record['uuid'])),
                           settle_seconds=self.create_settle_seconds, sleep=self.watch.sleep, clock=self.watch.clock)

    def _delete(self, record):
        """Send the delete; False when Magnum answered 404 (gone between the lookup and the delete, as wanted)."""
        with self._calling('delete %s' % describe(record)):
            try:
                send_confirmed(lambda: self.magnum.delete(COLLECTION, record['uuid']),
                               lambda: self._delete_taken_up(record), settle_seconds=self.create_settle_seconds,
                               sleep=self.watch.sleep, clock=self.watch.clock)
            except Exception as exc:
                if http_status_of(exc) != 404:
                    raise
                return False
        return True

    def _until_deleted(self, record):
        """Wait for the delete; a DELETE_FAILED is sent again up to `delete_retries` times (a load balancer or
        port left behind often goes with a second delete), then fails with Magnum's reason and faults."""
        for attempt in range(self.delete_retries + 1):
            try:
                return self.watch.until_deleted(record)
            except CoeError as exc:
                if exc.details.get('status') != 'DELETE_FAILED' or attempt == self.delete_retries:
                    if exc.details.get('status') == 'DELETE_FAILED' and self.delete_retries:
                        exc.msg = '%s (after %d deletes)' % (exc.msg.rstrip('.'), attempt + 1)
                    raise
                with self._calling('look up %s' % describe(record)):
                    failed = self.find(record['uuid'])
                if failed is None:
                    return None
                self.warnings.append('%s; deleting it again (delete_retries).' % exc.msg.rstrip('.'))
                self.actions.append('delete')
                self._delete(failed)
                record = failed
        return None

    def _delete_taken_up(self, record):
        found = self.find(record['uuid'])
        return True if found is None or found.get('status') == 'DELETE_IN_PROGRESS' else None

    def _result(self, changed, record, before, after, ident=None):
        return action_result(changed, self.actions, self.watch.history, 'cluster', public_record(record),
                             (diff_view(before), diff_view(after)), ident=ident or (record or {}).get('uuid'),
                             drift=self.drift, warnings=self.warnings)


def no_such_group(record, nodegroup):
    return CoeError('%s has no node group %r (parameter `nodegroup`).' % (capitalised(describe(record)), nodegroup),
                    parameter='nodegroup')
