# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.retry import call_with_retries, create_once, send_confirmed


class HttpError(Exception):
    def __init__(self, status):
        super(HttpError, self).__init__('HTTP %s' % status)
        self.http_status = status


class ConnectionResetError_(Exception):
    pass


ConnectionResetError_.__name__ = 'ConnectionResetError'


def failing(times, exc, then):
    calls = []

    def call():
        calls.append(1)
        if len(calls) <= times:
            raise exc
        return then
    return call, calls


def no_sleep(_seconds):
    pass


def test_reads_are_retried_on_5xx():
    call, calls = failing(2, HttpError(503), 'ok')
    assert call_with_retries(call, sleep=no_sleep) == 'ok'
    assert len(calls) == 3


def test_reads_are_not_retried_on_4xx():
    call, calls = failing(1, HttpError(404), 'ok')
    with pytest.raises(HttpError):
        call_with_retries(call, sleep=no_sleep)
    assert len(calls) == 1


def test_reads_give_up_after_the_attempts():
    call, calls = failing(10, HttpError(502), 'ok')
    with pytest.raises(HttpError):
        call_with_retries(call, attempts=3, sleep=no_sleep)
    assert len(calls) == 3


def test_lost_create_response_finds_the_resource_instead_of_creating_again():
    create, creates = failing(1, ConnectionResetError_('reset'), {'uuid': 'second'})
    record, found = create_once(create, lambda: {'uuid': 'first'}, sleep=no_sleep)
    assert record == {'uuid': 'first'} and found is True
    assert len(creates) == 1


def test_lookup_waits_for_an_asynchronously_written_row():
    create, creates = failing(1, HttpError(503), {'uuid': 'again'})
    lookups = []

    def find():
        lookups.append(1)
        return {'uuid': 'late'} if len(lookups) >= 3 else None
    clock = iter(range(100)).__next__
    record, found = create_once(create, find, sleep=no_sleep, clock=clock)
    assert record == {'uuid': 'late'} and found
    assert len(creates) == 1


def test_an_unknown_outcome_is_never_sent_again():
    """A 503 may come from a proxy in front of a service that acted: after the lookup window the error stands."""
    create, creates = failing(1, HttpError(503), {'uuid': 'made'})
    times = iter([0, 0, 100, 100])
    with pytest.raises(HttpError):
        create_once(create, lambda: None, settle_seconds=5, sleep=no_sleep, clock=lambda: next(times))
    assert len(creates) == 1


def test_a_create_that_never_left_is_sent_again():
    create, creates = failing(1, REFUSED, {'uuid': 'made'})
    record, found = create_once(create, lambda: None, sleep=no_sleep)
    assert record == {'uuid': 'made'} and not found
    assert len(creates) == 2


def test_apis_with_unique_names_may_send_an_unknown_create_again():
    create, creates = failing(1, CUT, {'uuid': 'made'})
    record, found = create_once(create, lambda: None, settle_seconds=0, sleep=no_sleep, resend_unknown=True)
    assert record == {'uuid': 'made'} and not found and len(creates) == 2


def test_client_errors_on_create_are_not_retried():
    create, creates = failing(1, HttpError(400), {'uuid': 'never'})
    with pytest.raises(HttpError):
        create_once(create, lambda: None, sleep=no_sleep)
    assert len(creates) == 1


class ConnectFailure(Exception):
    """Shaped like keystoneauth's: both a refused and a cut connection are 'Unable to establish connection'."""


CUT = ConnectFailure("Unable to establish connection to http://magnum/v1/clusters/c1/actions/resize: "
                     "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))")
REFUSED = ConnectFailure('Unable to establish connection to http://magnum/v1: [Errno 111] Connection refused')


class ConnectTimeout(Exception):
    """Shaped like keystoneauth's, which it raises for a read timeout too."""


TIMED_OUT = ConnectTimeout('Request to http://magnum/v1/clusters/c1 timed out')


def raises(exc):
    def call():
        raise exc
    return call


class Confirm:
    """A confirm() that answers `answer` (or raises it) and counts how often it was asked: send_confirmed swallows
    what confirm() raises, so a confirm that must not be asked is checked by its count, not by raising."""

    def __init__(self, answer=None):
        self.answer = answer
        self.asked = 0

    def __call__(self):
        self.asked += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.mark.parametrize('change, answer, asked, outcome', [
    pytest.param(lambda: 'answer', 'not asked', 0, 'answer', id='answered'),
    pytest.param(raises(CUT), 'seen', 1, 'seen', id='cut-and-carried-out'),
    pytest.param(raises(CUT), None, 1, CUT, id='cut-and-not-to-be-seen'),
    pytest.param(raises(TIMED_OUT), 'seen', 1, 'seen', id='timed-out-and-carried-out'),
    pytest.param(raises(TIMED_OUT), None, 1, TIMED_OUT, id='timed-out-and-not-to-be-seen'),
    pytest.param(raises(CUT), HttpError(503), 1, CUT, id='cut-and-the-check-fails'),
    pytest.param(raises(REFUSED), 'not asked', 0, REFUSED, id='refused-never-checked'),
    pytest.param(raises(HttpError(409)), 'not asked', 0, HttpError, id='refused-by-the-service'),
    pytest.param(raises(HttpError(502)), 'seen', 1, 'seen', id='502-and-carried-out'),
    pytest.param(raises(HttpError(503)), 'seen', 1, 'seen', id='503-and-carried-out'),
    pytest.param(raises(HttpError(504)), 'seen', 1, 'seen', id='504-and-carried-out'),
    pytest.param(raises(HttpError(503)), None, 1, HttpError, id='503-and-not-to-be-seen'),
])
def test_a_change_is_confirmed_only_when_its_outcome_is_unknown(change, answer, asked, outcome):
    confirm = Confirm(answer)
    if outcome is HttpError:
        with pytest.raises(HttpError):
            send_confirmed(change, confirm)
    elif isinstance(outcome, Exception):
        with pytest.raises(Exception) as raised:
            send_confirmed(change, confirm)
        assert raised.value is outcome
    else:
        assert send_confirmed(change, confirm) == outcome
    assert confirm.asked == asked


def test_an_asynchronous_service_is_given_time_to_show_the_change():
    clock = [0.0]
    answers = [None, None, 'seen']

    def sleep(seconds):
        clock[0] += seconds
    assert send_confirmed(raises(CUT), lambda: answers.pop(0), settle_seconds=5, sleep=sleep,
                          clock=lambda: clock[0]) == 'seen'
    assert clock[0] == 2.0
    with pytest.raises(ConnectFailure):
        send_confirmed(raises(CUT), lambda: None, settle_seconds=5, sleep=sleep, clock=lambda: clock[0])
    assert clock[0] == 7.0


def test_reads_wait_1_2_4_seconds_between_four_attempts_by_default(clock):
    call, calls = failing(10, HttpError(503), 'never')
    with pytest.raises(HttpError):
        call_with_retries(call, sleep=clock.sleep)
    assert len(calls) == 4 and clock.sleeps == [1.0, 2.0, 4.0]


def test_reads_follow_the_given_delay_and_backoff(clock):
    call, calls = failing(2, HttpError(502), 'ok')
    assert call_with_retries(call, attempts=3, delay=0.5, backoff=3.0, sleep=clock.sleep) == 'ok'
    assert len(calls) == 3 and clock.sleeps == [0.5, 1.5]


def test_a_read_refused_by_its_own_test_is_not_retried():
    call, calls = failing(1, HttpError(503), 'ok')
    with pytest.raises(HttpError):
        call_with_retries(call, sleep=no_sleep, retryable=lambda exc: False)
    assert len(calls) == 1


def test_after_a_lost_create_the_lookup_is_repeated_every_second_for_the_settle_time_only(clock):
    start = clock.now
    error = HttpError(503)
    create, creates = failing(1, error, {'uuid': 'second'})
    lookups = []

    def find():
        lookups.append(clock.now)
        return None
    with pytest.raises(HttpError) as raised:
        create_once(create, find, settle_seconds=3.0, sleep=clock.sleep, clock=clock)
    # The outcome is unknown: never sent again, and the original error stands once the window has passed.
    assert raised.value is error and len(creates) == 1
    # Looked up at once and after each second until the 3 s are over: at 0, 1, 2 and 3 s.
    assert [round(at - start, 3) for at in lookups] == [0.0, 1.0, 2.0, 3.0]
    assert clock.sleeps == [1.0, 1.0, 1.0]


def test_a_create_whose_second_sending_can_only_be_refused_is_sent_again_after_the_window(clock):
    create, creates = failing(1, HttpError(503), {'uuid': 'second'})
    record, found = create_once(create, lambda: None, settle_seconds=1.0, sleep=clock.sleep, clock=clock,
                                resend_unknown=True)
    assert (record, found) == ({'uuid': 'second'}, False)
    assert len(creates) == 2 and clock.sleeps == [1.0]


def test_a_lost_create_found_by_the_lookup_is_not_sent_again(clock):
    create, creates = failing(1, HttpError(504), {'uuid': 'never'})
    answers = [None, {'uuid': 'made'}]
    record, found = create_once(create, lambda: answers.pop(0), settle_seconds=15.0, sleep=clock.sleep, clock=clock)
    assert (record, found) == ({'uuid': 'made'}, True)
    assert len(creates) == 1 and clock.sleeps == [1.0]


def test_creates_stop_after_four_attempts_by_default():
    create, creates = failing(10, HttpError(503), None)
    with pytest.raises(HttpError):
        create_once(create, lambda: None, settle_seconds=0, sleep=no_sleep, resend_unknown=True)
    assert len(creates) == 4


def test_a_create_refused_at_the_door_is_sent_again_after_growing_waits(clock):
    create, creates = failing(3, REFUSED, {'uuid': 'made'})
    record, found = create_once(create, lambda: None, delay=3.0, sleep=clock.sleep, clock=clock)
    assert (record, found) == ({'uuid': 'made'}, False)
    assert len(creates) == 4 and clock.sleeps == [3.0, 6.0, 12.0]
