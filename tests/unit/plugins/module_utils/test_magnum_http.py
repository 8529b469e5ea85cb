# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
import requests

from ansible_collections.coe.magnum.plugins.module_utils.errors import translate
from ansible_collections.coe.magnum.plugins.module_utils.magnum_http import MagnumHttp, MagnumHttpError


def response(status, body=None, headers=None):
    answer = requests.Response()
    answer.status_code = status
    answer._content = (json.dumps(body) if isinstance(body, (dict, list)) else (body or '')).encode()
    answer.headers.update(headers or {})
    return answer


class RecordingSession:
    """keystoneauth's Session.request as the API client calls it: one canned answer, every call kept."""

    def __init__(self, answer):
        self.answer = answer
        self.calls = []

    def request(self, url, method, headers=None, raise_exc=True, data=None, allow_reauth=True):
        self.calls.append(dict(url=url, method=method, headers=headers, raise_exc=raise_exc, data=data))
        return self.answer


def test_requests_carry_the_microversion_and_json_and_answers_are_decoded():
    session = RecordingSession(response(202, {'uuid': 'c1'}))
    http = MagnumHttp(session, 'https://magnum.example.org:9511/v1/', '1.1')
    http.api_version = '1.7'
    _answer, body = http.json_request('POST', '/clusters/c1/actions/resize', body={'node_count': 3})
    assert body == {'uuid': 'c1'}
    (call,) = session.calls
    assert call['url'] == 'https://magnum.example.org:9511/v1/clusters/c1/actions/resize'
    assert call['headers']['OpenStack-API-Version'] == 'container-infra 1.7'
    assert json.loads(call['data']) == {'node_count': 3} and call['raise_exc'] is False


def test_an_empty_answer_is_none():
    session = RecordingSession(response(204))
    assert MagnumHttp(session, 'https://magnum.example.org/v1', '1.1').json_request('DELETE', '/clusters/c1')[1] is None
    assert session.calls[0]['data'] is None and 'Content-Type' not in session.calls[0]['headers']


@pytest.mark.parametrize('status', [400, 404, 409, 503])
def test_errors_keep_the_status_request_id_and_magnums_reason(status):
    detail = 'Cluster k8s already exists.'
    session = RecordingSession(response(status, {'errors': [{'status': status, 'title': 'Conflict', 'detail': detail}]},
                                        {'x-openstack-request-id': 'req-42'}))
    with pytest.raises(MagnumHttpError) as raised:
        MagnumHttp(session, 'https://magnum.example.org/v1', '1.1').json_request('GET', '/clusters/k8s')
    assert raised.value.http_status == status and raised.value.request_id == 'req-42'
    error = translate(raised.value, 'look up cluster k8s')
    assert error.msg == 'Failed to look up cluster k8s: %s (HTTP %d, request req-42)' % (detail, status)
