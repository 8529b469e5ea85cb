# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting on a cluster's status through create, update and delete, under one time budget per task."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.coe.magnum.plugins.module_utils.cluster.model import (
    COLLECTION,
    describe,
    failed_error,
    is_busy,
    is_complete,
    is_failed,
)
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, capitalised, is_retryable, translate
from ansible_collections.coe.magnum.plugins.module_utils.waiter import Waiter, WaitTimeout

# Magnum answers a create before its conductor writes the row, so a new UUID may be unknown for a moment.
NEW_CLUSTER_GRACE_SECONDS = 30.0
NOT_FOUND = 'NOT_FOUND'
# While Magnum cannot be reached at all (its API restarting, a load balancer failing over), a poll whose retries
# are spent is tried again after this pause, for as long as the task's timeout allows: an outage of the API does
# not end a wait on an operation the conductor carries on with.
UNREACHABLE_PAUSE_SECONDS = 5.0
HEALTHY = 'HEALTHY'


class ClusterWatch:
    """Polls one cluster by UUID until an operation ends, recording every status seen with its time.

    The statuses of successive phases (delete then create, upgrade then resize) go into one history whose times
    count from the first poll, and every phase draws on the same `timeout` budget: the phases of one Waiter.
    """

    def __init__(self, magnum, timeout, clock=None, sleep=None,
                 new_cluster_grace=NEW_CLUSTER_GRACE_SECONDS, initial_interval=2.0, max_interval=10.0):
        self._magnum = magnum
        self.timeout = timeout
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.new_cluster_grace = new_cluster_grace
        self.initial_interval = initial_interval
        self.max_interval = max_interval
        self.waiter = Waiter(timeout, initial_interval=initial_interval, max_interval=max_interval, clock=self.clock,
                             sleep=self.sleep)

    @property
    def history(self):
        return self.waiter.history

    @property
    def polls(self):
        return self.waiter.polls

    def elapsed(self):
        return self.waiter.elapsed()

    def fetch(self, uuid):
        """The cluster record, or None once Magnum no longer knows the UUID; transient errors are retried."""
        try:
            return self._magnum.find(COLLECTION, uuid, sleep=self.sleep)
        except Exception as exc:
            raise translate(exc, 'read the status of cluster %s' % uuid) from exc

    def _fetch_through_outage(self, uuid, deadline):
        """fetch(), again after a pause while Magnum is unreachable or answers 5xx, until `deadline` (clock time);
        then its error stands."""
        while True:
            try:
                return self.fetch(uuid)
            except CoeError as exc:
                cause = exc.__cause__
                if cause is None or not is_retryable(cause) or self.clock() + UNREACHABLE_PAUSE_SECONDS >= deadline:
                    raise
                self.sleep(UNREACHABLE_PAUSE_SECONDS)

    def until_created(self, uuid, name=None):
        """Wait for CREATE_COMPLETE; fail at once on a *_FAILED status with Magnum's reason and faults.

        Magnum gave the UUID before its conductor wrote the row, which a busy or restarting conductor does minutes
        later: an unknown UUID is waited for as long as the task waits, and counts as vanished only once seen."""
        seen = []

        def is_done(record):
            if record is None:
                if not seen:
                    return False
                raise CoeError('Cluster %r (%s) vanished while it was being created.' % (name, uuid))
            seen.append(True)
            if is_failed(record.get('status')):
                raise failed_error(record, 'the create')
            return is_complete(record.get('status'))
        return self._wait('create', uuid, is_done, 'cluster %r (%s) to be created' % (name, uuid))

    def until_stored(self, uuid, name=None, seconds=None):
        """Wait only until Magnum's conductor has stored a new cluster, so that a later lookup by name finds it;
        None when it has not within `seconds` (the create is then still queued)."""
        seconds = self.new_cluster_grace if seconds is None else seconds
        try:
            return self._wait('create', uuid, lambda record: record is not None,
                              'cluster %r (%s) to be stored' % (name, uuid), limit=seconds)
        except WaitTimeout:
            return None

    def until_updated(self, before, action, shows=None):
        """Wait for the update (resize, upgrade, node count patch) that `before` was read ahead of to end.

        Magnum answers before its conductor starts, so a GET right after the request may still show the old
        status; only a record the conductor has touched since (a new status or updated_at) can end the wait.
        shows: the fields the operation changes, as they read once it is done (see Processed).
        """
        processed = Processed(before, shows)

        def is_done(record):
            if record is None:
                raise CoeError('%s vanished during the %s.' % (capitalised(describe(before)), action))
            if not processed(record):
                return False
            if is_failed(record.get('status')):
                raise failed_error(record, 'the %s' % action)
            return is_complete(record.get('status'))
        return self._wait(action, before['uuid'], is_done, '%s to finish the %s' % (describe(before), action))

    def until_started(self, before, action, shows=None):
        """Wait only until Magnum's conductor has taken up an operation, so that a later task sees it under way."""
        processed = Processed(before, shows)

        def is_done(record):
            return record is None or processed(record)
        return self._wait(action, before['uuid'], is_done, '%s to start the %s' % (describe(before), action))

    def until_deleted(self, before):
        """Wait until Magnum no longer knows the cluster; fail at once on DELETE_FAILED with its reason.

        A cluster that was DELETE_FAILED already fails again only with a new status_reason, or after it has been
        DELETE_IN_PROGRESS: Magnum's health sync also saves DELETE_FAILED clusters (see Processed).
        """
        processed = Processed(before, changed=('status_reason',))

        def is_done(record):
            if record is None:
                return True
            # Every read goes through processed(), so that it sees the DELETE_IN_PROGRESS in between.
            taken_up = processed(record)
            if record.get('status') == 'DELETE_FAILED' and taken_up:
                raise failed_error(record, 'the delete')
            return False
        self._wait('delete', before['uuid'], is_done, '%s to be deleted' % describe(before))

    def until_settled(self, before):
        """Wait until an operation already under way (someone else's, or an earlier run's) ends either way.

        Returns the record (None if the cluster went away).
        """
        def is_done(record):
            return record is None or not is_busy(record.get('status'))
        return self._wait('settle', before['uuid'], is_done,
                          '%s to finish its %s' % (describe(before), before.get('status')))

    def until_healthy(self, before, timeout):
        """Wait, with its own time budget, until Magnum's periodic health sync reports the cluster HEALTHY.

        Magnum polls each cluster's API (/healthz) and its nodes every [kubernetes] health_polling_interval
        (60 s by default), so a new cluster reads UNKNOWN or no health at all for a while.
        """
        offset = self.waiter.begin()

        def is_done(record):
            if record is None:
                raise CoeError('%s vanished while waiting for it to be HEALTHY.' % capitalised(describe(before)))
            return record.get('health_status') == HEALTHY

        last = [before]

        def poll():
            last[0] = self.fetch(before['uuid']) or last[0]
            return last[0]
        try:
            return self.waiter.wait(poll, _health_of, is_done, '%s to be HEALTHY' % describe(before),
                                    phase='health', budget=max(0.0, timeout))
        except WaitTimeout as timeout_error:
            raise WaitTimeout(
                'Timed out after %d seconds waiting for %s to be HEALTHY; Magnum reports health_status %s%s.'
                % (round(self.elapsed() - offset), describe(before), last[0].get('health_status') or 'none',
                   health_reason(last[0])),
                status_history=self.history, health_status=last[0].get('health_status'),
                health_status_reason=last[0].get('health_status_reason')) from timeout_error

    def _wait(self, phase, uuid, is_done, what, limit=None):
        """One phase: poll the cluster until is_done(record), within what the task's budget (or `limit`) leaves."""
        budget = self.waiter.remaining() if limit is None else min(self.waiter.remaining(), limit)
        deadline = self.clock() + budget
        try:
            return self.waiter.wait(lambda: self._fetch_through_outage(uuid, deadline), status_of, is_done, what,
                                    phase=phase, budget=budget)
        except WaitTimeout:
            raise  # carries the history already
        except CoeError as exc:
            exc.details.setdefault('status_history', self.history)
            raise


class Processed:
    """Whether Magnum's conductor has acted since `before` was read: a busy status seen, or a changed record.

    A new updated_at alone does not tell: Magnum's periodic health sync saves the cluster's row (health_status,
    every [kubernetes] health_polling_interval, whatever the status) with the old status still in it, and a resize,
    a PATCH or a delete is queued for the conductor (an RPC cast), so such a save can come before the conductor
    has taken the request up; the old *_COMPLETE would then pass for the outcome. Under the old status, a save
    counts only when the record also shows what the operation does: any field of `shows` at its new value, or
    any field of `changed` different from `before`. With neither given (an operation that changes no field the
    record shows, all of which Magnum carries out before it answers), any save counts.
    """

    def __init__(self, before, shows=None, changed=()):
        self._before = before
        self._shows = dict(shows or {})
        self._changed = tuple(changed)
        self._seen_busy = False

    def __call__(self, record):
        if is_busy(record.get('status')):
            self._seen_busy = True
        if self._seen_busy or record.get('status') != self._before.get('status'):
            return True
        if record.get('updated_at') == self._before.get('updated_at'):
            return False
        if not (self._shows or self._changed):
            return True
        return (any(record.get(field) == value for field, value in self._shows.items())
                or any(record.get(field) != self._before.get(field) for field in self._changed))


def health_reason(record):
    """', reason: {...}' from Magnum's health_status_reason, or nothing when it gives none."""
    reason = record.get('health_status_reason')
    return ', reason: %s' % ', '.join('%s=%s' % (key, reason[key]) for key in sorted(reason)) if reason else ''


def _health_of(record):
    return NOT_FOUND if record is None else (record.get('health_status') or 'UNKNOWN')


def status_of(record):
    return NOT_FOUND if record is None else (record.get('status') or 'UNKNOWN')
