# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.errors import (
    CoeError, UnexpectedError, is_retryable, translate,
)
from ansible_collections.coe.magnum.tests.unit.data import cases


class HttpError(Exception):
    """Shaped like the exceptions of python-magnumclient and keystoneauth."""

    def __init__(self, message, http_status, request_id=None, details=None):
        super(HttpError, self).__init__(message)
        self.message = message
        self.http_status = http_status
        self.request_id = request_id
        self.details = details


class ConnectFailure(Exception):
    pass


@pytest.mark.parametrize('case', cases('errors/bodies.yml'))
def test_service_reason_is_read_from_its_body(case):
    error = translate(HttpError('HTTP Error', 400, details=case['body']), 'create cluster template k8s')
    assert error.reason == case['reason']
    assert error.msg.startswith('Failed to create cluster template k8s: %s (HTTP 400' % case['reason'])


def test_status_and_request_id_are_kept():
    error = translate(HttpError('Conflict', 409, request_id='req-123'), 'create cluster c1')
    assert error.details == {'status_code': 409, 'request_id': 'req-123'}
    assert 'req-123' in error.msg


def test_connection_failures_say_the_cloud_was_unreachable():
    error = translate(ConnectFailure('Unable to establish connection to http://127.0.0.1:1: Failed to establish a '
                                     'new connection: [Errno 111] Connection refused'), 'list clusters')
    assert 'could not be reached' in error.msg


@pytest.mark.parametrize('cause', [
    "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
    "('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))",
])
def test_a_connection_cut_after_the_request_says_the_cloud_may_have_acted(cause):
    error = translate(ConnectFailure('Unable to establish connection to http://127.0.0.1:9511/v1/clusters: %s'
                                     % cause), 'create cluster c1')
    assert error.msg.startswith('Failed to create cluster c1: the connection was cut before the cloud answered')
    assert 'running the task again' in error.msg and 'could not be reached' not in error.msg


def test_own_errors_pass_through():
    own = CoeError('No image named x (parameter `image`).')
    assert translate(own, 'anything') is own


@pytest.mark.parametrize('exc, retryable', [
    (HttpError('Service Unavailable', 503), True),
    (HttpError('Internal error', 500), True),
    (HttpError('Bad request', 400), False),
    (HttpError('Not found', 404), False),
    (ConnectFailure('reset'), True),
    (ValueError('bug'), False),
])
def test_only_server_errors_and_lost_connections_are_retried(exc, retryable):
    assert is_retryable(exc) is retryable


def uuid_of(record):
    return record['uuid']


def test_a_fault_of_the_collection_keeps_its_type_and_place():
    with pytest.raises(KeyError) as caught:
        uuid_of({})
    error = translate(caught.value, 'complete the request')
    assert isinstance(error, UnexpectedError)
    assert error.msg.startswith("Failed to complete the request: unexpected KeyError at test_errors.py:")
    assert "'uuid'" in error.msg and 'not of the cloud' in error.msg
    assert any("record['uuid']" in line for line in error.details['traceback'])


def test_a_client_library_error_without_status_is_still_the_clouds():
    error = translate(ConnectFailure('Unable to establish connection'), 'list clusters')
    assert not isinstance(error, UnexpectedError)
    assert 'could not be reached' in error.msg
