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
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, http_status_of, translate
from ansible_collections.coe.magnum.plugins.module_utils.waiter import Waiter, WaitTimeout

# Magnum answers a create before its conductor writes the row, so a new UUID may be unknown for a moment.
NEW_CLUSTER_GRACE_SECONDS = 30.0
NOT_FOUND = 'NOT_FOUND'
HEALTHY = 'HEALTHY'


class ClusterWatch:
    """Polls one cluster by UUID until an operation ends, recording every status seen with its time.

    The statuses of successive phases (delete then create, upgrade then resize) go into one history whose times
    count from the first poll, and every phase draws on the same `timeout` budget.
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
        self.history = []
        self.polls = 0
        self._started = None

    def elapsed(self):
        return 0.0 if self._started is None else self.clock() - self._started

    def fetch(self, uuid):
        """The cluster record, or None once Magnum no longer knows the UUID; transient errors are retried."""
        try:
            return self._magnum.get(COLLECTION, uuid, sleep=self.sleep)
        except Exception as exc:
            if http_status_of(exc) == 404:
                return None
            raise translate(exc, 'read the status of cluster %s' % uuid) from exc

    def until_created(self, uuid, name=None):
        """Wait for CREATE_COMPLETE; fail at once on a *_FAILED status with Magnum's reason and faults.

        Magnum gave the UUID before its conductor wrote the row, which a busy or restarting conductor does minutes
        later: an unknown UUID is waited for as long as the task waits, and counts as vanished only once seen."""
        seen = []

        def is_done(record, phase_started):
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
            return self._wait('create', uuid, lambda record, phase_started: record is not None,
                              'cluster %r (%s) to be stored' % (name, uuid), limit=seconds)
        except WaitTimeout:
            return None

    def until_updated(self, before, action):
        """Wait for the update (resize, upgrade, node count patch) that `before` was read ahead of to end.

        Magnum answers before its conductor starts, so a GET right after the request may still show the old
        status; only a record the conductor has touched since (a new status or updated_at) can end the wait.
        """
        processed = _Processed(before)

        def is_done(record, phase_started):
            if record is None:
                raise CoeError('%s vanished during the %s.' % (describe(before).capitalize(), action))
            if not processed(record):
                return False
            if is_failed(record.get('status')):
                raise failed_error(record, 'the %s' % action)
            return is_complete(record.get('status'))
        return self._wait(action, before['uuid'], is_done, '%s to finish the %s' % (describe(before), action))

    def until_started(self, before, action):
        """Wait only until Magnum's conductor has taken up an operation, so that a later task sees it under way."""
        processed = _Processed(before)

        def is_done(record, phase_started):
            return record is None or processed(record)
        return self._wait(action, before['uuid'], is_done, '%s to start the %s' % (describe(before), action))

    def until_deleted(self, before):
        """Wait until Magnum no longer knows the cluster; fail at once on DELETE_FAILED with its reason."""
        processed = _Processed(before)

        def is_done(record, phase_started):
            if record is None:
                return True
            if record.get('status') == 'DELETE_FAILED' and processed(record):
                raise failed_error(record, 'the delete')
            return False
        self._wait('delete', before['uuid'], is_done, '%s to be deleted' % describe(before))

    def until_settled(self, before):
        """Wait until an operation already under way (someone else's, or an earlier run's) ends either way.

        Returns the record (None if the cluster went away).
        """
        def is_done(record, phase_started):
            return record is None or not is_busy(record.get('status'))
        return self._wait('settle', before['uuid'], is_done,
                          '%s to finish its %s' % (describe(before), before.get('status')))

    def until_healthy(self, before, timeout):
        """Wait, with its own time budget, until Magnum's periodic health sync reports the cluster HEALTHY.

        Magnum polls each cluster's API (/healthz) and its nodes every [kubernetes] health_polling_interval
        (60 s by default), so a new cluster reads UNKNOWN or no health at all for a while.
        """
        if self._started is None:
            self._started = self.clock()
        offset = self.elapsed()
        waiter = Waiter(max(0.0, timeout), initial_interval=self.initial_interval, max_interval=self.max_interval,
                        clock=self.clock, sleep=self.sleep)

        def is_done(record):
            if record is None:
                raise CoeError('%s vanished while waiting for it to be HEALTHY.' % describe(before).capitalize())
            return record.get('health_status') == HEALTHY

        last = [before]

        def poll():
            last[0] = self.fetch(before['uuid']) or last[0]
            return last[0]
        try:
            record = waiter.wait(poll, _health_of, is_done, '%s to be HEALTHY' % describe(before))
        except WaitTimeout as timeout_error:
            self._merge('health', waiter, offset)
            raise WaitTimeout(
                'Timed out after %d seconds waiting for %s to be HEALTHY; Magnum reports health_status %s%s.'
                % (round(waiter.elapsed()), describe(before), last[0].get('health_status') or 'none',
                   health_reason(last[0])),
                status_history=self.history, health_status=last[0].get('health_status'),
                health_status_reason=last[0].get('health_status_reason')) from timeout_error
        self._merge('health', waiter, offset)
        return record

    def _wait(self, phase, uuid, is_done, what, limit=None):
        if self._started is None:
            self._started = self.clock()
        offset = self.elapsed()
        phase_started = self.clock()
        budget = max(0.0, self.timeout - offset)
        waiter = Waiter(budget if limit is None else min(budget, limit), initial_interval=self.initial_interval,
                        max_interval=self.max_interval, clock=self.clock, sleep=self.sleep)
        try:
            record = waiter.wait(lambda: self.fetch(uuid), _status_of,
                                 lambda record: is_done(record, phase_started), what)
        except WaitTimeout as timeout:
            self._merge(phase, waiter, offset)
            raise WaitTimeout(
                'Timed out after %d seconds waiting for %s; its last status was %s.'
                % (round(self.elapsed()), what, self.history[-1]['status'] if self.history else 'unknown'),
                status_history=self.history, waited_seconds=round(self.elapsed(), 1)) from timeout
        except CoeError as exc:
            self._merge(phase, waiter, offset)
            exc.details.setdefault('status_history', self.history)
            raise
        self._merge(phase, waiter, offset)
        return record

    def begin(self):
        """Start the task's clock if no phase has; the seconds since, where a new phase's times start."""
        if self._started is None:
            self._started = self.clock()
        return self.elapsed()

    def record_phase(self, phase, waiter, offset):
        """Add the statuses of a phase polled by another waiter (a node group's) to the task's history."""
        self._merge(phase, waiter, offset)

    def _merge(self, phase, waiter, offset):
        """Add a phase's statuses to the history, with times counted from the start of the first phase."""
        self.polls += waiter.polls
        for entry in waiter.history:
            self.history.append(dict(phase=phase, status=entry['status'],
                                     after_seconds=round(offset + entry['after_seconds'], 1)))


class _Processed:
    """Whether Magnum's conductor has acted since `before` was read: a busy status seen, or a changed record."""

    def __init__(self, before):
        self._before = before
        self._seen_busy = False

    def __call__(self, record):
        if is_busy(record.get('status')):
            self._seen_busy = True
        return (self._seen_busy or record.get('status') != self._before.get('status')
                or record.get('updated_at') != self._before.get('updated_at'))


def health_reason(record):
    """', reason: {...}' from Magnum's health_status_reason, or nothing when it gives none."""
    reason = record.get('health_status_reason')
    return ', reason: %s' % ', '.join('%s=%s' % (key, reason[key]) for key in sorted(reason)) if reason else ''


def _health_of(record):
    return NOT_FOUND if record is None else (record.get('health_status') or 'UNKNOWN')


def _status_of(record):
    return NOT_FOUND if record is None else (record.get('status') or 'UNKNOWN')
