# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for a resource: a deadline, an interval that backs off to a ceiling, and a record of what was seen."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError


class WaitTimeout(CoeError):
    pass


class Waiter:
    """Polls quickly at first, then every `max_interval` seconds, so long waits stay cheap and short ones prompt.

    Successive waits on one Waiter are the phases of one task: they share its clock (times count from the first
    poll of the first phase), its history (each entry named after its phase, when a phase is given) and its
    `timeout`, of which a phase gets what the earlier ones left unless it is given a budget of its own.
    """

    def __init__(self, timeout, initial_interval=2.0, max_interval=10.0, backoff=1.5,
                 clock=time.monotonic, sleep=time.sleep):
        self.timeout = timeout
        self.initial_interval = initial_interval
        self.max_interval = max_interval
        self.backoff = backoff
        self._clock = clock
        self._sleep = sleep
        self.history = []
        self.polls = 0
        self._started = None

    def begin(self):
        """Start the clock if no phase has; the seconds since, where a new phase's times start."""
        if self._started is None:
            self._started = self._clock()
        return self.elapsed()

    def elapsed(self):
        return 0.0 if self._started is None else self._clock() - self._started

    def remaining(self):
        return max(0.0, self.timeout - self.elapsed())

    def intervals(self):
        interval = self.initial_interval
        while True:
            yield interval
            interval = min(self.max_interval, interval * self.backoff)

    def _record(self, state, phase, first):
        if len(self.history) == first or self.history[-1]['status'] != state:
            entry = {'status': state, 'after_seconds': round(self.elapsed(), 1)}
            if phase is not None:
                entry = dict(phase=phase, **entry)
            self.history.append(entry)

    def wait(self, poll, state_of, is_done, describe='the resource', phase=None, budget=None):
        """Call poll() until is_done(result) is True; is_done may raise to end the wait with a failure.

        Returns the last result. state_of(result) names the state for the history and the timeout message.
        `budget` is the seconds this phase may take (default: what is left of `timeout`).
        """
        offset = self.begin()
        deadline = self.timeout if budget is None else offset + budget
        first = len(self.history)
        intervals = self.intervals()
        while True:
            polled_at = self._clock()
            result = poll()
            self.polls += 1
            self._record(state_of(result), phase, first)
            if is_done(result):
                return result
            remaining = deadline - self.elapsed()
            if remaining <= 0:
                raise WaitTimeout(
                    'Timed out after %d seconds waiting for %s; its last status was %s.'
                    % (round(self.elapsed()), describe, state_of(result)),
                    status_history=self.history, waited_seconds=round(self.elapsed(), 1))
            # The interval runs from the start of the poll, so a slow answer does not stretch the gap between polls
            # (nor the lag after the change); it still leaves the server at least half an interval of rest.
            interval = next(intervals)
            self._sleep(min(max(interval - (self._clock() - polled_at), interval / 2.0), remaining))
