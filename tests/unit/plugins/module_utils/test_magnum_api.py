# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils import magnum_api
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.magnum_api import (
    BASE_VERSION, MagnumApi, parse_version, version_range_from,
)
from ansible_collections.coe.magnum.tests.unit.data import cases
from ansible_collections.coe.magnum.tests.unit.fakes import HttpError


class FakeResponse:
    def __init__(self, headers):
        self.headers = headers


class FakeHttp:
    """Records the microversion each request is made at; serves a version range."""

    def __init__(self, max_version):
        self.api_version = BASE_VERSION
        self.max_version = max_version
        self.requests = []

    def json_request(self, method, url, **kwargs):
        self.requests.append((method, url, self.api_version))
        if url == '/':
            return FakeResponse({'OpenStack-API-Minimum-Version': 'container-infra 1.1',
                                 'OpenStack-API-Maximum-Version': 'container-infra %s' % self.max_version}), {}
        return FakeResponse({}), {'uuid': 'x'}


def api_serving(max_version):
    http = FakeHttp(max_version)
    return MagnumApi(connection=None, http=http), http


@pytest.mark.parametrize('case', cases('versions/ranges.yml'))
def test_version_range_from_server_answers(case):
    low, high = version_range_from(case['headers'], case['body'])
    assert [list(low), list(high)] == case['range']


def test_parse_version_accepts_header_form():
    assert parse_version('container-infra 1.10') == (1, 10)
    assert parse_version('1.7') == (1, 7)


def test_version_range_is_read_once_and_only_when_needed():
    api, http = api_serving('1.14')
    api.get('clusters', 'c1')
    assert http.requests == [('GET', '/clusters/c1', '1.1')]
    assert api.supports('resize') and api.supports('upgrade')
    assert api.supports('zero_node_count')
    assert [r for r in http.requests if r[1] == '/'] == [('GET', '/', '1.1')]


def test_feature_calls_use_the_lowest_version_that_has_it_then_go_back():
    api, http = api_serving('1.14')
    with api.at('resize'):
        api.cluster_action('c1', 'resize', {'node_count': 3})
    api.get('clusters', 'c1')
    assert http.requests[-2:] == [('POST', '/clusters/c1/actions/resize', '1.7'), ('GET', '/clusters/c1', '1.1')]


def test_too_old_cloud_gets_a_message_naming_both_versions():
    api, http = api_serving('1.4')
    assert not api.supports('resize')
    with pytest.raises(CoeError) as raised:
        with api.at('upgrade'):
            pass
    assert '1.8' in raised.value.msg and '1.4' in raised.value.msg
    assert raised.value.details['needed_api_version'] == '1.8'
    assert [r for r in http.requests if r[1] != '/'] == []


class RolledBackHttp(FakeHttp):
    """A Magnum that now serves at most `max_version` and answers 406 to a request at a higher microversion."""

    def json_request(self, method, url, **kwargs):
        if url != '/' and parse_version(self.api_version) > parse_version(self.max_version):
            self.requests.append((method, url, self.api_version))
            raise HttpError(406, 'Version %s was requested but the requested API is unsupported' % self.api_version)
        return super().json_request(method, url, **kwargs)


def api_with_a_cached_range(monkeypatch, max_version, cached='1.14'):
    kept = []
    monkeypatch.setattr(magnum_api, 'cached_version_range',
                        lambda connection, endpoint: ((1, 1), parse_version(cached)))
    monkeypatch.setattr(magnum_api, 'remember_version_range',
                        lambda connection, endpoint, version_range: kept.append(version_range))
    http = RolledBackHttp(max_version)
    return MagnumApi(connection=None, http=http), http, kept


def test_a_cached_range_the_cloud_refuses_is_read_again_and_the_feature_refused_by_name(monkeypatch):
    """The cache says 1.14; the cloud was rolled back to 1.8 within the hour: node groups are refused as too new."""
    api, http, kept = api_with_a_cached_range(monkeypatch, '1.8')
    with pytest.raises(CoeError) as raised:
        with api.at('nodegroups'):
            api.list_nodegroups('c1')
    assert 'needs Magnum API 1.9' in raised.value.msg and '1.8' in raised.value.msg
    assert [r for r in http.requests if r[1] == '/'] == [('GET', '/', '1.1')]
    assert kept == [((1, 1), (1, 8))] and not api.supports('nodegroups')
    assert http.api_version == BASE_VERSION


def test_a_refusal_a_fresh_range_does_not_explain_stands(monkeypatch):
    api, http, kept = api_with_a_cached_range(monkeypatch, '1.14')
    with api.at('nodegroups'):
        api.list_nodegroups('c1')
    with pytest.raises(HttpError):
        with api.at('nodegroups'):
            raise HttpError(406, 'not acceptable')
    assert [r for r in http.requests if r[1] == '/'] == [('GET', '/', '1.1')]
    with pytest.raises(HttpError):
        with api.at('nodegroups'):
            raise HttpError(406, 'not acceptable')
    assert [r for r in http.requests if r[1] == '/'] == [('GET', '/', '1.1')]


def test_a_cached_range_too_old_for_a_feature_is_read_again_before_the_feature_is_refused(monkeypatch):
    """The cache says 1.8; the cloud was upgraded to 1.14 within the hour: node groups are used at 1.9."""
    api, http, kept = api_with_a_cached_range(monkeypatch, '1.14', cached='1.8')
    with api.at('nodegroups'):
        api.list_nodegroups('c1')
    assert http.requests == [('GET', '/', '1.1'), ('GET', '/clusters/c1/nodegroups', '1.9')]
    assert kept == [((1, 1), (1, 14))]
    api, http, kept = api_with_a_cached_range(monkeypatch, '1.8', cached='1.8')
    with pytest.raises(CoeError):
        with api.at('nodegroups'):
            pass
    assert http.requests == [('GET', '/', '1.1')]
