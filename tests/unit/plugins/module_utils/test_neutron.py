# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.errors import translate
from ansible_collections.coe.magnum.plugins.module_utils.neutron import NeutronApi, NeutronLookupError
from ansible_collections.coe.magnum.tests.unit.neutron_fake import QueuedSession, SessionConnection


class Catalog:
    def __init__(self, endpoint):
        self.endpoint = endpoint

    def get_endpoint(self, service_type=None, interface=None, region_name=None):
        if interface is None and region_name is None:
            return None  # CloudRegion.get_endpoint: no clouds.yaml override
        return self.endpoint if service_type == 'network' else None

    def get_interface(self, service_type):
        return 'public'

    def get_region_name(self, service_type):
        return 'RegionOne'


class Session(Catalog, QueuedSession):
    def __init__(self, endpoint, answers):
        Catalog.__init__(self, endpoint)
        QueuedSession.__init__(self, answers)


def api(answers, endpoint='https://neutron.example.org:9696'):
    session = Session(endpoint, answers)
    return NeutronApi(SessionConnection(session)), session


BASE = 'https://neutron.example.org:9696/v2.0'


@pytest.mark.parametrize('endpoint', ['https://neutron.example.org:9696', 'https://neutron.example.org:9696/',
                                      'https://neutron.example.org:9696/v2.0', 'https://neutron.example.org:9696/v2.0/'])
def test_the_catalog_url_with_or_without_the_version(endpoint):
    neutron, session = api({('GET', BASE + '/security-groups?id=sg-1&id=sg-2'): [(200, {'security_groups': []})]},
                           endpoint)
    assert neutron.security_groups(id=['sg-1', 'sg-2']) == []
    assert session.requests == [('GET', BASE + '/security-groups?id=sg-1&id=sg-2', None)]


def test_lists_follow_the_next_links_of_a_paging_server():
    first = {'ports': [{'id': 'p1'}], 'ports_links': [
        {'rel': 'next', 'href': BASE + '/ports?limit=1&marker=p1&network_id=n1'}]}
    second = {'ports': [{'id': 'p2'}], 'ports_links': [{'rel': 'previous', 'href': BASE + '/ports?marker=p2'}]}
    neutron, session = api({('GET', BASE + '/ports?network_id=n1'): [(200, first)],
                            ('GET', BASE + '/ports?limit=1&marker=p1&network_id=n1'): [(200, second)]})
    assert [port['id'] for port in neutron.ports(network_id='n1')] == ['p1', 'p2']
    assert len(session.requests) == 2


def test_ids_in_paths_are_escaped_and_filters_in_the_query():
    by_address = BASE + '/ports?fixed_ips=ip_address%3D10.0.0.5&project_id=p'
    neutron, session = api({('GET', BASE + '/ports/a%2F..%2Fb%3Fx'): [(200, {'port': {'id': 'odd'}})],
                            ('GET', by_address): [(200, {'ports': []})]})
    assert neutron.get_port('a/../b?x') == {'id': 'odd'}
    assert neutron.ports(fixed_ips='ip_address=10.0.0.5', project_id='p') == []


def test_a_rule_is_created_with_neutrons_field_names():
    created = {'id': 'r1', 'ethertype': 'IPv4', 'protocol': 'tcp'}
    neutron, session = api({('POST', BASE + '/security-group-rules'): [(201, {'security_group_rule': created})]})
    assert neutron.create_security_group_rule(security_group_id='sg', ether_type='IPv4', protocol='tcp') == created
    assert session.requests[0][2] == {'security_group_rule': {'security_group_id': 'sg', 'ethertype': 'IPv4',
                                                              'protocol': 'tcp'}}


def test_neutrons_refusal_reaches_the_message_with_its_status():
    refusal = {'NeutronError': {'type': 'SecurityGroupRuleExists', 'message': 'Security group rule already exists. '
                                'Rule id is r1.', 'detail': ''}}
    neutron, _session = api({('POST', BASE + '/security-group-rules'): [(409, refusal)]})
    with pytest.raises(Exception) as raised:
        neutron.create_security_group_rule(security_group_id='sg', ether_type='IPv4')
    message = str(translate(raised.value, 'add a rule'))
    assert message == ('Failed to add a rule: Security group rule already exists. Rule id is r1. '
                       '(HTTP 409, request req-fake)')


def test_deleting_a_rule_that_is_gone_is_done_and_other_errors_stand():
    neutron, _session = api({('DELETE', BASE + '/security-group-rules/r1'): [(404, None), (404, None), (503, None)]})
    neutron.delete_security_group_rule('r1')
    with pytest.raises(Exception, match='HTTP 404'):
        neutron.delete_security_group_rule('r1', ignore_missing=False)
    with pytest.raises(Exception, match='HTTP 503'):
        neutron.delete_security_group_rule('r1')


def test_a_network_is_found_by_id_then_by_name():
    neutron, session = api({
        ('GET', BASE + '/networks/net-1'): [(200, {'network': {'id': 'net-1', 'name': 'a'}})],
        ('GET', BASE + '/networks/private'): [(404, None), (404, None), (404, None)],
        ('GET', BASE + '/networks?name=private'): [(200, {'networks': [{'id': 'net-2', 'name': 'private'}]}),
                                                   (200, {'networks': []}),
                                                   (200, {'networks': [{'id': 'x'}, {'id': 'y'}]})]})
    assert neutron.find_network('net-1')['id'] == 'net-1'
    assert neutron.find_network('private')['id'] == 'net-2'
    assert neutron.find_network('private') is None
    with pytest.raises(NeutronLookupError, match='More than one network is named private'):
        neutron.find_network('private')


def test_no_network_service_in_the_catalog_is_said_so():
    neutron, _session = api({}, endpoint=None)
    with pytest.raises(Exception, match='no network .Neutron. endpoint'):
        neutron.ports()


def test_a_hyphenated_collection_is_read_from_its_underscored_key_and_links():
    first = {'security_group_rules': [{'id': 'r1'}], 'security_group_rules_links': [
        {'rel': 'next', 'href': BASE + '/security-group-rules?marker=r1&security_group_id=sg'}]}
    second = {'security_group_rules': [{'id': 'r2'}]}
    neutron, _session = api({
        ('GET', BASE + '/security-group-rules?security_group_id=sg'): [(200, first)],
        ('GET', BASE + '/security-group-rules?marker=r1&security_group_id=sg'): [(200, second)]})
    assert [rule['id'] for rule in neutron.security_group_rules('sg')] == ['r1', 'r2']


def test_a_read_sent_ahead_leaves_the_token_renewal_to_the_module():
    neutron, session = api({('GET', BASE + '/security-groups?id=sg-1'): [(200, {'security_groups': []})] * 2})
    neutron.security_groups(id=['sg-1'])
    assert session.reauth is True
    neutron.security_groups(id=['sg-1'], allow_reauth=False)
    assert session.reauth is False
