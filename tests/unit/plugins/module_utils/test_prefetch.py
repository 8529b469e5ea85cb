# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.cluster_config.access import fetch_ca
from ansible_collections.coe.magnum.plugins.module_utils.prefetch import ReadAhead, answer_of, holds_token, read_ahead
from ansible_collections.coe.magnum.tests.unit.certificate_authority import CertificateAuthority


class Access:
    def __init__(self, expiring):
        self.expiring = expiring

    def will_expire_soon(self, seconds):
        return self.expiring


class Connection:
    def __init__(self, access):
        self.session = type('Session', (), {})()
        self.session.auth = type('Auth', (), {'auth_ref': access})()


@pytest.mark.parametrize('connection, held', [
    (object(), False),                   # no session (a test double): nothing goes ahead
    (Connection(None), False),           # no token yet: two threads would both authenticate
    (Connection(Access(True)), False),   # a token about to be renewed
    (Connection(Access(False)), True),
])
def test_a_read_goes_ahead_only_on_a_held_token(connection, held):
    assert holds_token(connection) is held
    assert (read_ahead(connection, lambda: 'answer') is not None) is held


def test_the_read_runs_beside_the_caller_and_its_failure_is_no_answer():
    started = threading.Event()
    release = threading.Event()

    def read():
        started.set()
        assert release.wait(5)
        return {'pem': 'x'}

    ahead = ReadAhead(read)
    # The read is under way while this thread goes on (it waits for this thread to release it).
    assert started.wait(5)
    release.set()
    assert ahead.answer() == {'pem': 'x'}

    def broken():
        raise RuntimeError('HTTP 503')

    assert ReadAhead(broken).answer() is None
    assert answer_of(None) is None


class Magnum:
    def __init__(self, pem):
        self.pem = pem
        self.gets = []

    def get(self, collection, ident, sleep=None):
        self.gets.append((collection, ident))
        return {'cluster_uuid': ident, 'pem': self.pem}


@pytest.fixture(scope='module')
def ca_pem():
    return CertificateAuthority().pem


def test_the_ca_read_ahead_is_taken_only_for_the_cluster_found(ca_pem):
    magnum = Magnum(ca_pem)
    assert fetch_ca(magnum, 'uuid-1', read_ahead={'cluster_uuid': 'uuid-1', 'pem': ca_pem}) == ca_pem
    assert magnum.gets == []
    # Another cluster's CA (a cluster of that name made again since), none, or no certificate in it: read again.
    for ahead in ({'cluster_uuid': 'uuid-0', 'pem': ca_pem}, None, {'cluster_uuid': 'uuid-1', 'pem': ''},
                  {'cluster_uuid': 'uuid-1', 'pem': 'not a certificate'}):
        magnum.gets = []
        assert fetch_ca(magnum, 'uuid-1', read_ahead=ahead) == ca_pem
        assert magnum.gets == [('certificates', 'uuid-1')]
