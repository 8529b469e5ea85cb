# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads sent ahead: a read whose answer a module will probably need is sent in a thread of its own while the
module makes the request it depends on, so the two round trips overlap instead of adding up."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

# A token this close to its expiry may be renewed by the next request: two threads must not both renew it.
TOKEN_MARGIN_SECONDS = 60


def holds_token(connection):
    """Whether the connection's session already holds a token that outlives the module run: only then may a read
    go ahead in another thread (two threads finding no token would both authenticate)."""
    auth = getattr(getattr(connection, 'session', None), 'auth', None)
    access = getattr(auth, 'auth_ref', None)
    try:
        return access is not None and not access.will_expire_soon(TOKEN_MARGIN_SECONDS)
    except Exception:
        return False


class ReadAhead:
    """One read in a thread of its own.

    Its answer is only a guess at what the module will ask: the caller takes it where it proves that it answers
    the question asked (the same cluster, the same stack), and reads again otherwise, or when the read failed, with
    its own retries and messages. A read sent ahead can cost one request; it never gives a wrong answer or an error
    of its own.
    """

    def __init__(self, read):
        self._answer = None
        self._thread = threading.Thread(target=self._run, args=(read,), name='coe.magnum read ahead', daemon=True)
        self._thread.start()

    def _run(self, read):
        try:
            self._answer = read()
        except Exception:  # the caller reads again and reports the error in its own words
            self._answer = None

    def answer(self):
        """What the read returned, or None when it failed; waits for it (it has the session's timeout)."""
        self._thread.join()
        return self._answer


def read_ahead(connection, read, wanted=True):
    """A ReadAhead of `read`, or None when it may not go ahead (not wanted, or no token held yet)."""
    if not wanted or not holds_token(connection):
        return None
    return ReadAhead(read)


def answer_of(ahead):
    return ahead.answer() if ahead is not None else None
