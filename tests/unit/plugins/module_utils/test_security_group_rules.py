# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.security_group_rules import (
    describe_rule,
    exposure_warnings,
    is_managed,
    managed_description,
    neutron_create_body,
    parse_rule,
    parse_rules,
    plan_group,
    rule_from_neutron,
)
from ansible_collections.coe.magnum.tests.unit.data import cases


def wanted_rules(specs):
    rules = parse_rules([dict(spec, remote_group_id=None) for spec in specs])
    for rule, spec in zip(rules, specs):
        rule['remote_group_id'] = spec.get('remote_group_id')
    return rules


def existing_rules(records):
    defaults = {'direction': 'ingress', 'ethertype': 'IPv4'}
    return [rule_from_neutron(dict(defaults, **record)) for record in records]


@pytest.mark.parametrize('case', cases('cluster_ports/rule_specs.yml'))
def test_rule_spec(case):
    rule, errors = parse_rule(case['spec'], 0)
    if 'errors' in case:
        assert rule is None
        assert len(errors) == len(case['errors'])
        for error, expected in zip(errors, case['errors']):
            assert error.startswith(expected)
    else:
        assert errors == []
        for field, value in case['rule'].items():
            assert rule[field] == value, field


def test_every_bad_rule_is_reported_at_once_by_index():
    with pytest.raises(CoeError) as caught:
        parse_rules([{'port': 80, 'remote_ip_prefix': '0.0.0.0/0'},
                     {'port': 99999, 'remote_ip_prefix': '0.0.0.0/0'},
                     {'protocol': 'icmp', 'port': 8, 'remote_ip_prefix': '10.0.0.0/8'}])
    assert caught.value.details['parameter'] == 'rules'
    assert caught.value.details['errors'] == [
        'rules[1].port: 99999 is outside 1-65535',
        'rules[2].port: ports apply only to tcp and udp rules, not to icmp']
    assert caught.value.msg.startswith('Invalid `rules`: rules[1].port')


@pytest.mark.parametrize('case', cases('cluster_ports/plans.yml'))
def test_plan(case):
    wanted = wanted_rules(case['wanted'])
    existing = existing_rules(case['existing'])
    plan = plan_group(wanted, existing, case['state'], case.get('exclusive', False))
    assert [rule['index'] for rule in plan['add']] == case.get('add', [])
    assert [rule['id'] for rule in plan['remove']] == case.get('remove', [])
    assert [found['id'] for _wanted, found in plan['unmanaged']] == case.get('unmanaged', [])


@pytest.mark.parametrize('case', cases('cluster_ports/warnings.yml'))
def test_exposure_warnings(case):
    warnings = exposure_warnings(parse_rules([case['spec']]))
    assert len(warnings) == len(case['warns'])
    for warning, expected in zip(warnings, case['warns']):
        assert warning.startswith(expected)


def test_managed_mark_is_a_prefix_of_the_description_and_nothing_else():
    assert managed_description('http') == 'coe.magnum: http'
    assert managed_description('') == 'coe.magnum'
    assert is_managed('coe.magnum') and is_managed('coe.magnum: http')
    assert not is_managed('coe.magnumish') and not is_managed('opened for coe.magnum') and not is_managed(None)


def test_create_body_marks_the_rule_and_leaves_unset_fields_out():
    (rule,) = parse_rules([{'protocol': 'icmp', 'remote_ip_prefix': '10.0.0.0/24', 'description': 'ping'}])
    assert neutron_create_body(rule, 'sg-1') == {
        'security_group_id': 'sg-1', 'direction': 'ingress', 'ether_type': 'IPv4', 'protocol': 'icmp',
        'remote_ip_prefix': '10.0.0.0/24', 'description': 'coe.magnum: ping'}


def test_rule_from_sdk_resource_reads_ether_type():
    rule = rule_from_neutron({'id': 'r1', 'direction': 'ingress', 'ether_type': 'IPv6', 'protocol': 'tcp',
                              'port_range_min': 443, 'port_range_max': 443, 'remote_ip_prefix': '::/0',
                              'description': 'coe.magnum'})
    assert rule['ethertype'] == 'IPv6' and rule['managed']


@pytest.mark.parametrize('record, text', [
    ({'protocol': 'tcp', 'port_range_min': 80, 'port_range_max': 80, 'remote_ip_prefix': '0.0.0.0/0'},
     'ingress IPv4 tcp 80 from 0.0.0.0/0'),
    ({'protocol': 'udp', 'port_range_min': 8000, 'port_range_max': 8100, 'remote_ip_prefix': '10.0.0.0/24',
      'description': 'coe.magnum: games'}, 'ingress IPv4 udp 8000-8100 from 10.0.0.0/24 (coe.magnum: games)'),
    ({'protocol': 'tcp'}, 'ingress IPv4 tcp all ports from 0.0.0.0/0'),
    ({'ethertype': 'IPv6', 'direction': 'egress'}, 'egress IPv6 any from ::/0'),
    ({'protocol': 'icmp', 'port_range_min': 8, 'remote_group_id': 'sg-1'}, 'ingress IPv4 icmp type 8 from group sg-1'),
    ({'protocol': '58', 'ethertype': 'IPv6', 'port_range_min': 128, 'port_range_max': 0},
     'ingress IPv6 icmp type 128 code 0 from ::/0'),
])
def test_describe_rule(record, text):
    assert describe_rule(existing_rules([record])[0]) == text


def test_a_description_may_fill_neutron_s_255_characters_with_the_mark():
    longest = 'x' * (255 - len('coe.magnum: '))
    (rule,) = parse_rules([{'port': 80, 'remote_ip_prefix': '0.0.0.0/0', 'description': longest}])
    assert len(neutron_create_body(rule, 'sg-1')['description']) == 255
    rule, errors = parse_rule({'port': 80, 'remote_ip_prefix': '0.0.0.0/0', 'description': longest + 'x'}, 3)
    assert (rule, errors) == (None, ['rules[3].description: longer than 243 characters'])


def test_an_empty_port_is_a_missing_port():
    rule, errors = parse_rule({'port': ' ', 'remote_ip_prefix': '0.0.0.0/0'}, 0)
    assert errors == ['rules[0].port: a tcp rule needs a port or a range (80, "8000-8100"; "1-65535" for every port)']


def test_an_ipv6_rule_for_any_protocol_has_no_protocol():
    (rule,) = parse_rules([{'protocol': 'any', 'remote_ip_prefix': '::/0'}])
    assert (rule['ethertype'], rule['protocol']) == ('IPv6', None)
    assert 'protocol' not in neutron_create_body(rule, 'sg-1')


@pytest.mark.parametrize('low, high', [(None, 65535), (1, None), (1, 65535)])
def test_every_port_as_neutron_may_store_it_is_the_rule_for_every_port(low, high):
    wanted = wanted_rules([{'port': '1-65535', 'remote_ip_prefix': '0.0.0.0/0'}])
    existing = existing_rules([{'id': 'r1', 'protocol': 'tcp', 'port_range_min': low, 'port_range_max': high,
                                'remote_ip_prefix': '0.0.0.0/0', 'description': 'coe.magnum'}])
    assert plan_group(wanted, existing, 'present', False)['add'] == []
    assert [rule['id'] for rule in plan_group(wanted, existing, 'absent', False)['remove']] == ['r1']


def test_a_port_short_of_every_port_is_another_rule():
    wanted = wanted_rules([{'port': '1-65535', 'remote_ip_prefix': '0.0.0.0/0'}])
    existing = existing_rules([{'id': 'r1', 'protocol': 'tcp', 'port_range_min': None, 'port_range_max': 65534,
                                'remote_ip_prefix': '0.0.0.0/0'}])
    assert [rule['index'] for rule in plan_group(wanted, existing, 'present', False)['add']] == [0]


def test_rule_from_an_sdk_resource_reads_its_dict():
    class SecurityGroupRule:
        """openstacksdk's resource: attributes and to_dict(), no dict methods."""

        def to_dict(self, computed=True):
            return {'id': 'r1', 'direction': 'ingress', 'ether_type': 'IPv4', 'protocol': 'udp',
                    'port_range_min': 53, 'port_range_max': 53, 'remote_ip_prefix': '10.0.0.0/8',
                    'remote_group_id': None, 'description': 'coe.magnum: dns'}

    rule = rule_from_neutron(SecurityGroupRule())
    assert describe_rule(rule) == 'ingress IPv4 udp 53 from 10.0.0.0/8 (coe.magnum: dns)'
    assert rule['id'] == 'r1' and rule['managed']


def test_every_exposing_rule_warns_whatever_comes_before_it():
    warnings = exposure_warnings(parse_rules([
        {'port': 10250, 'remote_ip_prefix': '10.0.0.0/8'},
        {'protocol': 'udp', 'port': 2379, 'remote_ip_prefix': '0.0.0.0/0'},
        {'port': '2379-2380', 'remote_ip_prefix': '0.0.0.0/0'}]))
    assert warnings == [
        'rules[2] opens ports 2379-2380 to 0.0.0.0/0, which includes 2379, 2380: ports Magnum keeps inside the '
        'cluster (etcd, the kubelet and insecure API ports). Restrict remote_ip_prefix unless this is intended.']


@pytest.mark.parametrize('ethertype, prefix, family', [('IPv4', '::/0', 'IPv6'), ('IPv6', '10.0.0.0/8', 'IPv4')])
def test_an_ethertype_of_the_other_family_than_the_prefix_is_refused(ethertype, prefix, family):
    rule, errors = parse_rule({'port': 443, 'remote_ip_prefix': prefix, 'ethertype': ethertype}, 1)
    assert (rule, errors) == (None, ['rules[1].ethertype: %s does not match remote_ip_prefix %s (an %s network)'
                                     % (ethertype, prefix, family)])


def test_a_rule_given_twice_is_added_once_and_the_rules_after_it_still_are():
    wanted = wanted_rules([{'port': 80, 'remote_ip_prefix': '0.0.0.0/0'}, {'port': 80, 'remote_ip_prefix': '0.0.0.0/0'},
                           {'port': 443, 'remote_ip_prefix': '0.0.0.0/0'}])
    assert [rule['index'] for rule in plan_group(wanted, [], 'present', False)['add']] == [0, 2]
