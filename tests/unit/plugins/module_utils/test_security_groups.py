# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.security_groups import (
    GroupFinder,
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
from ansible_collections.coe.magnum.tests.unit.neutron_fake import FakeClusterCloud


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


@pytest.mark.parametrize('case', cases('cluster_ports/lookups.yml'))
def test_lookup(case):
    cloud = FakeClusterCloud(case['cloud'])
    finder = GroupFinder(cloud.connection)
    if 'error' in case:
        with pytest.raises(CoeError) as caught:
            finder.find(cloud.cluster, case['roles'])
        assert case['error'] in caught.value.msg
        return
    lookup = finder.find(cloud.cluster, case['roles'])
    assert lookup.way == case['way']
    assert dict((role, [g['id'] for g in groups]) for role, groups in lookup.groups.items()) == case['groups']
    if 'tried' in case:
        assert lookup.tried == case['tried']
    for note in case.get('notes', []):
        assert any(note in text for text in lookup.notes)
    assert cloud.neutron.mutating_calls() == []


def test_heat_lookup_reads_only_the_stack_and_the_two_groups():
    cloud = FakeClusterCloud('heat')
    GroupFinder(cloud.connection).find(cloud.cluster, ['master', 'worker'])
    assert cloud.heat.calls == [('resources', cloud.cluster['stack_id'])]
    assert cloud.neutron.calls == [('security_groups', None, ['sg-master', 'sg-minion'])]


def fixed_addresses_only(cloud, **cluster):
    cloud.neutron.floating_ip_records = []
    cloud.cluster.update(master_addresses=['10.0.0.5'], node_addresses=['10.0.0.6'], **cluster)


@pytest.mark.parametrize('fixed_network', ['k8s-cluster-net', None])
def test_ports_lookup_narrows_a_shared_fixed_ip_to_the_cluster_network(fixed_network):
    cloud = FakeClusterCloud('floating')
    fixed_addresses_only(cloud, fixed_network=fixed_network)
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['worker'])
    assert [g['id'] for g in lookup.groups['worker']] == ['sg-minion']


def twin_cluster(cloud, names=('', '')):
    """Another cluster's network with the same addresses, as every Magnum cluster gets its own 10.0.0.0/24."""
    cloud.neutron.port_records[:2] = [dict(port, name=name) for port, name in zip(cloud.neutron.port_records, names)]
    cloud.neutron.port_records.append({'id': 'port-twin-master', 'name': 'twin-abc-master-0', 'network_id': 'net-twin',
                                       'fixed_ips': [{'ip_address': '10.0.0.5'}], 'security_group_ids': ['sg-default']})
    cloud.neutron.port_records[2].update(network_id='net-twin', name='twin-abc-node-0')


def test_ports_lookup_tells_twin_clusters_apart_by_port_name():
    cloud = FakeClusterCloud('floating')
    fixed_addresses_only(cloud, fixed_network=None)
    twin_cluster(cloud, names=('k8s-cluster-abc-master-0', 'k8s-cluster-abc-node-0'))
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['master', 'worker'])
    assert dict((role, [g['id'] for g in groups]) for role, groups in lookup.groups.items()) == {
        'master': ['sg-master'], 'worker': ['sg-minion']}


def test_ports_lookup_ignores_other_projects_as_an_admin_sees_them():
    cloud = FakeClusterCloud('floating')
    fixed_addresses_only(cloud, fixed_network=None)
    twin_cluster(cloud)
    for port in cloud.neutron.port_records[2:]:
        port['project_id'] = 'project-2'
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['master', 'worker'])
    assert [g['id'] for g in lookup.groups['master']] == ['sg-master']


def test_ports_lookup_refuses_ports_it_cannot_tell_apart():
    cloud = FakeClusterCloud('floating')
    fixed_addresses_only(cloud, fixed_network=None)
    twin_cluster(cloud)
    with pytest.raises(CoeError) as caught:
        GroupFinder(cloud.connection).find(cloud.cluster, ['worker'])
    assert caught.value.msg == ("Several ports hold address 10.0.0.5 (port-master-0, port-twin-master) and none can "
                                "be told to be the cluster's.")


def test_cluster_api_names_of_another_cluster_do_not_match():
    cloud = FakeClusterCloud('cluster_api')
    cloud.cluster['stack_id'] = 'k8s-cluster-other'
    cloud.cluster['master_addresses'] = cloud.cluster['node_addresses'] = []
    with pytest.raises(CoeError) as caught:
        GroupFinder(cloud.connection).find(cloud.cluster, ['master', 'worker'])
    assert 'cluster_api: no security group named k8s-cluster-<namespace>-k8s-cluster-other-secgroup-controlplane' \
        in caught.value.msg


def test_heat_errors_other_than_missing_stack_fail_instead_of_falling_back(monkeypatch):
    cloud = FakeClusterCloud('heat')
    waits = []
    monkeypatch.setattr(time, 'sleep', waits.append)

    class Broken(Exception):
        status_code = 503

    cloud.heat.fail_with = Broken('Service Unavailable')
    with pytest.raises(CoeError) as caught:
        GroupFinder(cloud.connection).find(cloud.cluster, ['master'])
    assert caught.value.msg.startswith('Failed to list the resources of Heat stack 0f0a6f5e')
    assert 'HTTP 503' in caught.value.msg
    # The read was tried four times, with a growing wait, before the failure was given.
    assert waits == [1.0, 2.0, 4.0]


def test_a_stack_without_the_group_resources_falls_back_to_the_ports():
    cloud = FakeClusterCloud('heat')
    stack = cloud.heat.heat['stacks'][cloud.cluster['stack_id']]
    stack[:] = [resource for resource in stack if not resource['name'].startswith('secgroup_')]
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['master'])
    assert lookup.way == 'ports'
    assert lookup.tried[0] == ('heat: stack 0f0a6f5e-4b3a-4f57-9b76-7b6a3c0f1e01 has no '
                               'secgroup_kube_master/secgroup_swarm_manager resource')


def test_swarm_stacks_name_their_groups_manager_and_node():
    cloud = FakeClusterCloud('heat')
    for resource in cloud.heat.heat['stacks'][cloud.cluster['stack_id']]:
        resource['name'] = {'secgroup_kube_master': 'secgroup_swarm_manager',
                            'secgroup_kube_minion': 'secgroup_swarm_node'}.get(resource['name'], resource['name'])
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['master', 'worker'])
    assert (lookup.way, [g['id'] for g in lookup.groups['worker']]) == ('heat', ['sg-minion'])


def test_ports_with_only_the_default_group_are_never_used():
    cloud = FakeClusterCloud('stack_gone')
    cloud.cluster['master_addresses'] = []
    cloud.neutron.port_records[1]['security_group_ids'] = ['sg-default']
    with pytest.raises(CoeError) as caught:
        GroupFinder(cloud.connection).find(cloud.cluster, ['worker'])
    assert "ports: the worker ports carry only the project's default security group" in caught.value.msg


def test_addresses_no_port_holds_are_reported():
    cloud = FakeClusterCloud('stack_gone')
    cloud.cluster['node_addresses'] = ['10.9.9.9']
    with pytest.raises(CoeError) as caught:
        GroupFinder(cloud.connection).find(cloud.cluster, ['worker'])
    assert 'ports: no port holds the worker addresses 10.9.9.9' in caught.value.msg
