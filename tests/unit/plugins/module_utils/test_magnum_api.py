# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils import magnum_api
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.magnum_api import (
    BASE_VERSION, MagnumApi, StaleVersionRange, parse_version, version_range_from,
)
from ansible_collections.coe.magnum.tests.unit.data import cases


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


class RefusingHttp(FakeHttp):
    """A server that refuses (406, as Magnum does) any microversion above its maximum."""

    def json_request(self, method, url, **kwargs):
        if url != '/' and parse_version(self.api_version) > parse_version(self.max_version):
            self.requests.append((method, url, self.api_version))
            raise CoeError('Requested microversion is unsupported (HTTP 406)', status_code=406)
        return super(RefusingHttp, self).json_request(method, url, **kwargs)


def api_with_cached_range(monkeypatch, cached_max, server_max):
    remembered = []
    monkeypatch.setattr(magnum_api, 'cached_version_range', lambda connection, endpoint: ((1, 1), cached_max))
    monkeypatch.setattr(magnum_api, 'remember_version_range',
                        lambda connection, endpoint, version_range: remembered.append(version_range))
    http = RefusingHttp(server_max)
    return MagnumApi(connection=None, http=http), http, remembered


def test_a_microversion_refused_despite_the_cached_range_reads_the_range_again(monkeypatch):
    api, http, remembered = api_with_cached_range(monkeypatch, (1, 14), '1.6')
    with pytest.raises(StaleVersionRange) as raised:
        with api.at('nodegroups'):
            api.list_nodegroups('c1')
    assert '1.9' in raised.value.msg and '1.6' in raised.value.msg
    assert remembered == [((1, 1), (1, 6))]
    assert not api.supports('nodegroups') and api.supports('ca_rotation')
    assert http.api_version == BASE_VERSION


def test_a_refusal_under_a_range_the_server_just_gave_is_the_servers_answer(monkeypatch):
    monkeypatch.setattr(magnum_api, 'cached_version_range', lambda connection, endpoint: None)
    monkeypatch.setattr(magnum_api, 'remember_version_range', lambda connection, endpoint, version_range: None)
    http = RefusingHttp('1.14')
    api = MagnumApi(connection=None, http=http)
    assert api.supports('nodegroups')
    http.max_version = '1.6'
    with pytest.raises(CoeError) as raised:
        with api.at('nodegroups'):
            api.list_nodegroups('c1')
    assert not isinstance(raised.value, StaleVersionRange)
    assert raised.value.details['status_code'] == 406
    assert [r for r in http.requests if r[1] == '/'] == [('GET', '/', '1.1')]


def test_a_cached_range_too_old_for_a_feature_is_read_again_before_the_feature_is_refused(monkeypatch):
    """The cache says 1.8; the cloud was upgraded to 1.14 within the hour: node groups are used at 1.9."""
    api, http, remembered = api_with_cached_range(monkeypatch, (1, 8), '1.14')
    with api.at('nodegroups'):
        api.list_nodegroups('c1')
    assert http.requests == [('GET', '/', '1.1'), ('GET', '/clusters/c1/nodegroups', '1.9')]
    assert remembered == [((1, 1), (1, 14))]
    api, http, remembered = api_with_cached_range(monkeypatch, (1, 8), '1.8')
    with pytest.raises(CoeError) as raised:
        with api.at('nodegroups'):
            pass
    assert 'needs Magnum API 1.9' in raised.value.msg
    assert http.requests == [('GET', '/', '1.1')]


def test_a_report_of_the_servers_versions_reads_them_from_the_server(monkeypatch):
    api, http, remembered = api_with_cached_range(monkeypatch, (1, 14), '1.6')
    assert api.version_range() == ((1, 1), (1, 14))
    assert api.server_version_range() == ((1, 1), (1, 6))
    assert remembered == [((1, 1), (1, 6))]
    assert api.server_version_range() == ((1, 1), (1, 6))
    assert [r for r in http.requests if r[1] == '/'] == [('GET', '/', '1.1')]


def test_a_feature_the_cloud_lacks_is_named_with_its_acronym_intact(monkeypatch):
    api, _http, _remembered = api_with_cached_range(monkeypatch, (1, 4), '1.4')
    with pytest.raises(CoeError) as raised:
        api.require('ca_rotation')
    assert raised.value.msg == ('CA certificate rotation needs Magnum API 1.5 (CA certificate rotation); this cloud '
                                'serves at most 1.4.')
