# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.cluster.watch import ClusterWatch
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.magnum_api import MagnumApi
from ansible_collections.coe.magnum.tests.unit.cluster_fakes import FakeTime
from ansible_collections.coe.magnum.tests.unit.data import cases
from ansible_collections.coe.magnum.tests.unit.fakes import HttpError, Response


class TimelineHttp:
    """Magnum's GET answers from a timeline of (second, status[, updated_at[, other fields]]); a null status is a
    404."""

    def __init__(self, clock, timeline, errors=None):
        self.clock = clock
        self.started = clock.now
        self.timeline = timeline
        self.errors = list(errors or [])
        self.gets = 0

    def json_request(self, method, url):
        assert method == 'GET', method
        ident = url.rsplit('/', 1)[-1]
        self.gets += 1
        if self.errors:
            raise self.errors.pop(0)
        entry = [e for e in self.timeline if self.clock.now - self.started >= e[0]][-1]
        if entry[1] is None:
            raise HttpError(404, 'Cluster %s could not be found.' % ident)
        record = {'uuid': ident, 'name': 'c', 'status': entry[1], 'updated_at': entry[2] if len(entry) > 2 else None,
                  'status_reason': 'boom' if entry[1].endswith('FAILED') else None}
        record.update(entry[3] if len(entry) > 3 else {})
        return Response(), record


def watch_for(case, clock=None, errors=None):
    clock = clock or FakeTime()
    magnum = MagnumApi(None, http=TimelineHttp(clock, case['timeline'], errors))
    return ClusterWatch(magnum, case.get('timeout', 3600), clock=clock.monotonic, sleep=clock.sleep)


def start(watch, case):
    before = dict(case.get('before') or {}, uuid='U1', name='c')
    if case['wait'] == 'created':
        return watch.until_created('U1', 'c')
    if case['wait'] == 'updated':
        return watch.until_updated(before, 'resize', case.get('shows'))
    if case['wait'] == 'deleted':
        return watch.until_deleted(before)
    if case['wait'] == 'started':
        return watch.until_started(before, 'resize', case.get('shows'))
    return watch.until_settled(before)


@pytest.mark.parametrize('case', cases('cluster/wait.yml'))
def test_wait(case):
    clock = FakeTime()
    watch = watch_for(case, clock)
    started = clock.now
    if 'error' in case:
        with pytest.raises(CoeError) as raised:
            start(watch, case)
        for words in case['error']:
            assert words in raised.value.msg
        assert raised.value.details['status_history'] == watch.history and watch.history
        if 'at_most_seconds' in case:
            assert clock.now - started <= case['at_most_seconds']
        return
    record = start(watch, case)
    assert (record or {}).get('status') == case['ends']
    assert clock.now - started >= case.get('at_least_seconds', 0)
    if 'history' in case:
        assert [entry['status'] for entry in watch.history] == case['history']


def test_phases_share_one_history_and_one_budget():
    clock = FakeTime()
    case = {'timeline': [[0, 'DELETE_IN_PROGRESS', 't1'], [10, None]]}
    watch = watch_for(dict(case, timeout=30), clock)
    watch.until_deleted({'uuid': 'U1', 'name': 'c', 'status': 'CREATE_FAILED', 'updated_at': 't0'})
    watch._magnum.http.timeline = [[0, 'CREATE_IN_PROGRESS', 't2']]
    watch._magnum.http.started = clock.now
    with pytest.raises(CoeError) as raised:
        watch.until_created('U1', 'c')
    assert 'Timed out after 30 seconds' in raised.value.msg
    phases = [(entry['phase'], entry['status']) for entry in watch.history]
    assert phases == [('delete', 'DELETE_IN_PROGRESS'), ('delete', 'NOT_FOUND'), ('create', 'CREATE_IN_PROGRESS')]
    times = [entry['after_seconds'] for entry in watch.history]
    assert times == sorted(times) and times[0] == 0


def test_transient_errors_of_a_poll_are_retried():
    clock = FakeTime()
    case = {'wait': 'created', 'timeline': [[0, 'CREATE_COMPLETE']]}
    watch = watch_for(case, clock, errors=[HttpError(503, 'busy'), HttpError(502, 'gateway')])
    assert watch.until_created('U1', 'c')['status'] == 'CREATE_COMPLETE'
    assert watch._magnum.http.gets == 3


class ConnectFailure(Exception):
    """keystoneauth's name for a connection that could not be opened."""


def outage(polls, timeout):
    """A watch on a created cluster whose first `polls` reads meet a refused connection."""
    clock = FakeTime()
    message = 'Unable to establish connection: [Errno 111] Connection refused'
    refused = [ConnectFailure(message) for _poll in range(polls)]
    case = {'wait': 'created', 'timeline': [[0, 'CREATE_COMPLETE']], 'timeout': timeout}
    return watch_for(case, clock, errors=refused), clock


def test_the_wait_goes_on_through_an_outage_of_magnum():
    """Magnum's API refuses connections for 20 s mid-wait: more than one poll's retries, less than the timeout."""
    watch, clock = outage(12, timeout=300)
    started = clock.now
    assert watch.until_created('U1', 'c')['status'] == 'CREATE_COMPLETE'
    assert watch._magnum.http.gets == 13 and clock.now - started >= 20


def test_an_outage_longer_than_the_timeout_ends_the_wait_with_its_error():
    watch, clock = outage(100, timeout=30)
    started = clock.now
    with pytest.raises(CoeError) as raised:
        watch.until_created('U1', 'c')
    assert 'read the status of cluster U1' in raised.value.msg and 'Connection refused' in raised.value.msg
    assert clock.now - started <= 30 + 7


def test_other_errors_of_a_poll_name_the_cluster():
    case = {'wait': 'created', 'timeline': [[0, 'CREATE_COMPLETE']]}
    watch = watch_for(case, errors=[HttpError(403, 'Forbidden')])
    with pytest.raises(CoeError) as raised:
        watch.until_created('U1', 'c')
    assert 'read the status of cluster U1' in raised.value.msg and 'Forbidden' in raised.value.msg


def test_twenty_minute_create_costs_few_polls_and_returns_promptly():
    case = {'timeline': [[0, 'CREATE_IN_PROGRESS'], [1200, 'CREATE_COMPLETE']]}
    clock = FakeTime()
    watch = watch_for(case, clock)
    started = clock.now
    watch.until_created('U1', 'c')
    assert watch.polls <= 130
    assert clock.now - started - 1200 <= watch.max_interval


def test_the_400_of_a_cluster_being_removed_is_retried():
    case = {'timeline': [[0, None]]}
    watch = watch_for(case, errors=[HttpError(400, 'Cluster is being deleted')])
    watch.until_deleted({'uuid': 'U1', 'name': 'c', 'status': 'DELETE_IN_PROGRESS', 'updated_at': 't0'})
    assert watch._magnum.http.gets == 2 and watch.history[-1]['status'] == 'NOT_FOUND'
