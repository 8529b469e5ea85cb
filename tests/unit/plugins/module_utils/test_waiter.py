# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.waiter import Waiter, WaitTimeout


def statuses_after(timeline, clock):
    """A poll function returning the status in force at the current fake time (seconds after this call)."""
    start = clock.now

    def poll():
        current = None
        for at, status in timeline:
            if clock.now - start >= at:
                current = status
        return {'status': current}
    return poll


def test_interval_backs_off_to_its_ceiling():
    waiter = Waiter(timeout=100, initial_interval=2, max_interval=10, backoff=1.5)
    intervals = waiter.intervals()
    assert [next(intervals) for index in range(7)] == [2, 3, 4.5, 6.75, 10, 10, 10]


def test_five_minute_create_costs_few_polls_and_returns_promptly(clock):
    start = clock.now
    waiter = Waiter(timeout=3600, clock=clock.monotonic, sleep=clock.sleep)
    poll = statuses_after([(0, 'CREATE_IN_PROGRESS'), (300, 'CREATE_COMPLETE')], clock)
    result = waiter.wait(poll, lambda r: r['status'], lambda r: r['status'] == 'CREATE_COMPLETE')
    assert result['status'] == 'CREATE_COMPLETE'
    assert waiter.polls <= 40
    assert clock.now - start - 300 < waiter.max_interval
    assert [h['status'] for h in waiter.history] == ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']


def test_timeout_names_the_last_status_and_the_time_waited(clock):
    start = clock.now
    waiter = Waiter(timeout=30, clock=clock.monotonic, sleep=clock.sleep)
    poll = statuses_after([(0, 'CREATE_IN_PROGRESS')], clock)
    with pytest.raises(WaitTimeout) as raised:
        waiter.wait(poll, lambda r: r['status'], lambda r: False, describe='cluster c1')
    assert 'cluster c1' in raised.value.msg and 'CREATE_IN_PROGRESS' in raised.value.msg
    assert '30 seconds' in raised.value.msg
    assert clock.now - start == 30


def test_a_failure_raised_by_is_done_ends_the_wait_at_once(clock):
    start = clock.now
    waiter = Waiter(timeout=600, clock=clock.monotonic, sleep=clock.sleep)
    poll = statuses_after([(0, 'CREATE_IN_PROGRESS'), (5, 'CREATE_FAILED')], clock)

    def is_done(record):
        if record['status'].endswith('_FAILED'):
            raise RuntimeError(record['status'])
        return False
    with pytest.raises(RuntimeError):
        waiter.wait(poll, lambda r: r['status'], is_done)
    assert clock.now - start < 10


def test_slow_answers_do_not_stretch_the_gap_between_polls_but_leave_the_server_some_rest(clock):
    waiter = Waiter(timeout=3600, clock=clock.monotonic, sleep=clock.sleep)
    answer_seconds = iter([3.0, 3.0, 3.0, 3.0, 3.0, 12.0, 3.0])
    started = []

    def slow_poll():
        started.append(clock.now)
        clock.now += next(answer_seconds)
        return {'status': 'CREATE_COMPLETE' if len(started) == 7 else 'CREATE_IN_PROGRESS'}

    waiter.wait(slow_poll, lambda r: r['status'], lambda r: r['status'] == 'CREATE_COMPLETE')
    gaps = [later - earlier for earlier, later in zip(started, started[1:])]
    # Intervals 2, 3, 4.5, 6.75, 10, 10 counted from each poll's start; never less than half an interval of rest.
    assert gaps == [3.0 + 1.0, 3.0 + 1.5, 3.0 + 2.25, 6.75, 10.0, 12.0 + 5.0]
