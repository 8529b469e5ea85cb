# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retries: reads retried with backoff on 5xx and connection errors; creates never duplicated."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.coe.magnum.plugins.module_utils.errors import is_not_sent, is_retryable, is_unknown_outcome

DEFAULT_ATTEMPTS = 4
DEFAULT_DELAY = 1.0


def call_with_retries(call, attempts=DEFAULT_ATTEMPTS, delay=DEFAULT_DELAY, backoff=2.0, sleep=None, retryable=None):
    """Run a read; on a 5xx or a connection failure wait and try again, up to `attempts` times in all.

    retryable(exc) replaces that test for reads with transient errors of their own.
    """
    sleep = sleep or time.sleep
    retryable = retryable or is_retryable
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as exc:
            if attempt == attempts or not retryable(exc):
                raise
            sleep(delay * backoff ** (attempt - 1))


def create_once(create, find_existing, attempts=DEFAULT_ATTEMPTS, delay=DEFAULT_DELAY, settle_seconds=15.0,
                sleep=None, clock=None, resend_unknown=False):
    """Create a resource so that a lost or failed answer never leads to a second one.

    A create that certainly never reached the service (connection refused) is sent again. After any other failure
    whose outcome is unknown (a 5xx from the service or anything in front of it, a cut connection, a timeout) the
    service may have acted, and Magnum's conductor writes a new row seconds to minutes later: the create is never
    sent again; the resource is looked up by name for `settle_seconds`, and when it has not appeared the original
    error is raised (the caller says that the create may still be in flight). `resend_unknown` is for APIs where a
    second create of the same name can only be refused (Kubernetes), never make a duplicate.
    Returns (record, found_by_lookup).
    """
    # Looked up at call time so tests can replace the clock and sleep of the time module.
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    for attempt in range(1, attempts + 1):
        try:
            return create(), False
        except Exception as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            if is_not_sent(exc):
                sleep(delay * 2 ** (attempt - 1))
                continue
            existing = wait_for_lookup(find_existing, settle_seconds, delay, sleep, clock)
            if existing is not None:
                return existing, True
            if not resend_unknown:
                raise
    raise AssertionError('unreachable')  # pragma: no cover


def wait_for_lookup(find, seconds, delay=DEFAULT_DELAY, sleep=None, clock=None):
    """find() until it returns something or `seconds` have passed (at least one lookup); None when nothing came."""
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    deadline = clock() + seconds
    while True:
        existing = call_with_retries(find, sleep=sleep)
        if existing is not None:
            return existing
        if clock() >= deadline:
            return None
        sleep(delay)


def send_confirmed(change, confirm, settle_seconds=0.0, delay=DEFAULT_DELAY, sleep=None, clock=None):
    """Send a change once. When the outcome is unknown (the connection is cut after the request went out, the
    answer does not come within the request timeout, or a 5xx comes, which a load balancer in front of the service
    also answers after forwarding the request), the service may have carried it out: `confirm()` reads what is
    there and returns the outcome to use instead of the lost answer, or None when the change is not to be seen. A
    service that acts asynchronously (Magnum's conductor) is given `settle_seconds` to show it; after that the
    error stands (a re-run sends the change again)."""
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    try:
        return change()
    except Exception as exc:
        if not is_unknown_outcome(exc):
            raise
        deadline = clock() + settle_seconds
        while True:
            try:
                confirmed = confirm()
            except Exception:
                confirmed = None
            if confirmed is not None:
                return confirmed
            if clock() >= deadline:
                raise
            sleep(delay)
