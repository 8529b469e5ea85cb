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


def lookup_error(cloud, roles):
    """The message of the lookup of the cluster's groups for these roles, which has to fail."""
    with pytest.raises(CoeError) as caught:
        GroupFinder(cloud.connection).find(cloud.cluster, roles)
    return caught.value.msg


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


def test_ports_lookup_with_no_port_on_the_cluster_network_says_which_ports_it_cannot_tell_apart():
    cloud = FakeClusterCloud('floating')
    fixed_addresses_only(cloud, fixed_network='k8s-cluster-net')
    twin_cluster(cloud)
    cloud.neutron.port_records[0]['network_id'] = 'net-elsewhere'
    assert lookup_error(cloud, ['master']) == (
        "Several ports hold address 10.0.0.5 (port-master-0, port-twin-master) and none can be told to be the "
        "cluster's.")


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
    assert lookup_error(cloud, ['worker']) == (
        "Several ports hold address 10.0.0.5 (port-master-0, port-twin-master) and none can be told to be the "
        "cluster's.")


def test_cluster_api_names_of_another_cluster_do_not_match():
    cloud = FakeClusterCloud('cluster_api')
    cloud.cluster['stack_id'] = 'k8s-cluster-other'
    cloud.cluster['master_addresses'] = cloud.cluster['node_addresses'] = []
    assert ('cluster_api: no security group named '
            'k8s-cluster-<prefix>-0d4c4a1f8e2b4b55-k8s-cluster-other-secgroup-controlplane'
            in lookup_error(cloud, ['master', 'worker']))


def test_heat_errors_other_than_missing_stack_fail_instead_of_falling_back(monkeypatch):
    cloud = FakeClusterCloud('heat')
    waits = []
    monkeypatch.setattr(time, 'sleep', waits.append)

    class Broken(Exception):
        status_code = 503

    cloud.heat.fail_with = Broken('Service Unavailable')
    msg = lookup_error(cloud, ['master'])
    assert msg.startswith('Failed to list the resources of Heat stack 0f0a6f5e')
    assert 'HTTP 503' in msg
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
    assert "ports: the worker ports carry only the project's default security group" in lookup_error(cloud, ['worker'])


def test_addresses_no_port_holds_are_reported():
    cloud = FakeClusterCloud('stack_gone')
    cloud.cluster['node_addresses'] = ['10.9.9.9']
    assert 'ports: no port holds the worker addresses 10.9.9.9' in lookup_error(cloud, ['worker'])


class Forbidden(Exception):
    """Shaped like openstacksdk's ForbiddenException: an answer that is not worth asking again."""

    status_code = 403


def message_when_neutron_refuses(fixture, call, policy_action):
    """The lookup's message for the worker groups when Neutron's policy refuses `call`."""
    cloud = FakeClusterCloud(fixture)

    def refuse(**filters):
        raise Forbidden('Policy does not allow %s to be performed.' % policy_action)

    setattr(cloud.neutron, call, refuse)
    return lookup_error(cloud, ['worker'])


def group_ids(lookup):
    return dict((role, [g['id'] for g in groups]) for role, groups in lookup.groups.items())


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


def test_cluster_api_groups_of_two_namespaces_of_the_project_with_the_same_cluster_name_are_refused():
    cloud = FakeClusterCloud('cluster_api')
    twin = dict(cloud.neutron.groups['sg-minion'], id='sg-twin',
                name='k8s-cluster-other-0d4c4a1f8e2b4b55-k8s-cluster-x7kq2m9d3a1b-secgroup-worker')
    cloud.neutron.groups['sg-twin'] = twin
    assert lookup_error(cloud, ['worker']) == (
        "Several Cluster API security groups match cluster 'k8s-cluster': "
        "k8s-cluster-magnum-0d4c4a1f8e2b4b55-k8s-cluster-x7kq2m9d3a1b-secgroup-worker, "
        "k8s-cluster-other-0d4c4a1f8e2b4b55-k8s-cluster-x7kq2m9d3a1b-secgroup-worker; the cluster cannot be told "
        "apart from another with the same Cluster API name.")


def test_cluster_api_groups_in_a_namespace_of_another_project_are_not_the_cluster_s():
    cloud = FakeClusterCloud('cluster_api')
    cloud.neutron.groups['sg-twin'] = dict(cloud.neutron.groups['sg-minion'], id='sg-twin',
                                           name='k8s-cluster-magnum-other-k8s-cluster-x7kq2m9d3a1b-secgroup-worker')
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['worker'])
    assert [g['id'] for g in lookup.groups['worker']] == ['sg-minion']


def test_cluster_api_groups_are_proven_by_the_ports_of_the_cluster_s_machines():
    cloud = FakeClusterCloud('cluster_api')
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['master', 'worker'])
    assert lookup.evidence == {
        'master': 'k8s-cluster-magnum-0d4c4a1f8e2b4b55-k8s-cluster-x7kq2m9d3a1b-secgroup-controlplane: named after '
                  'stack_id k8s-cluster-x7kq2m9d3a1b; carried by port k8s-cluster-x7kq2m9d3a1b-control-plane-7fz2k-0 '
                  'on network k8s-clusterapi-cluster-magnum-0d4c4a1f8e2b4b55-k8s-cluster-x7kq2m9d3a1b',
        'worker': 'k8s-cluster-magnum-0d4c4a1f8e2b4b55-k8s-cluster-x7kq2m9d3a1b-secgroup-worker: named after '
                  'stack_id k8s-cluster-x7kq2m9d3a1b; carried by port k8s-cluster-x7kq2m9d3a1b-default-worker-5c9d8-0 '
                  'on network k8s-clusterapi-cluster-magnum-0d4c4a1f8e2b4b55-k8s-cluster-x7kq2m9d3a1b'}


def test_a_cluster_api_group_no_machine_port_carries_yet_is_proven_by_capo_s_description():
    cloud = FakeClusterCloud('cluster_api')
    cloud.neutron.port_records = [port for port in cloud.neutron.port_records if port['id'] != 'port-minion-0']
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['worker'])
    assert lookup.evidence['worker'].endswith(
        "described 'Cluster API managed group' as Cluster API Provider OpenStack describes its groups (no port of "
        "the cluster carries it yet)")


def test_a_group_only_named_like_the_cluster_s_is_never_used():
    cloud = FakeClusterCloud('cluster_api')
    cloud.neutron.port_records = []
    cloud.neutron.groups['sg-minion']['description'] = 'made by hand'
    assert ("cluster_api: k8s-cluster-magnum-0d4c4a1f8e2b4b55-k8s-cluster-x7kq2m9d3a1b-secgroup-worker is named like "
            "the cluster's worker group, but no port of the cluster's network carries it and it lacks the "
            "description 'Cluster API managed group': not taken for the cluster's") in lookup_error(cloud, ['worker'])


def test_heat_and_port_lookups_say_which_records_tie_the_groups_to_the_cluster():
    cloud = FakeClusterCloud('heat')
    heat = GroupFinder(cloud.connection).find(cloud.cluster, ['master'])
    assert heat.evidence['master'].startswith('resource secgroup_kube_master of Heat stack ')
    cloud = FakeClusterCloud('stack_gone')
    ports = GroupFinder(cloud.connection).find(cloud.cluster, ['worker'])
    assert ports.evidence['worker'].startswith('carried by every port holding the worker addresses ')


def test_cluster_api_groups_of_another_project_are_not_the_cluster_s():
    cloud = FakeClusterCloud('cluster_api')
    cloud.neutron.groups['sg-twin'] = dict(cloud.neutron.groups['sg-minion'], id='sg-twin', project_id='project-2',
                                           name='k8s-cluster-magnum-other-k8s-cluster-x7kq2m9d3a1b-secgroup-worker')
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['worker'])
    assert (lookup.way, [g['id'] for g in lookup.groups['worker']]) == ('cluster_api', ['sg-minion'])
    assert ('security_groups', cloud.cluster['project_id'], None) in cloud.neutron.calls


def test_cluster_api_listing_failure_names_the_action():
    msg = message_when_neutron_refuses('cluster_api', 'security_groups', 'get_security_groups')
    assert msg.startswith('Failed to list security groups: ') and 'HTTP 403' in msg


def test_ports_lookup_without_a_network_shared_by_all_addresses_goes_by_the_port_names():
    cloud = FakeClusterCloud('floating')
    fixed_addresses_only(cloud, fixed_network=None)
    # The master's port is on a network of its own: no network holds every address, and the worker address is
    # held on two networks.
    cloud.neutron.port_records[0]['network_id'] = 'net-masters'
    assert lookup_error(cloud, ['master', 'worker']) == (
        "Several ports hold address 10.0.0.6 (port-elsewhere, port-minion-0) and none can be told to be the "
        "cluster's.")
    cloud.neutron.port_records[1]['name'] = 'k8s-cluster-abc-node-0'
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['master', 'worker'])
    assert group_ids(lookup) == {
        'master': ['sg-master'], 'worker': ['sg-minion']}


@pytest.mark.parametrize('twin_network', ['net-a-twin', 'net-z-twin'])
def test_the_cluster_s_fixed_network_decides_between_twin_ports(twin_network):
    cloud = FakeClusterCloud('floating')
    fixed_addresses_only(cloud, fixed_network='k8s-cluster-net')
    twin_cluster(cloud)
    for port in cloud.neutron.port_records[2:]:
        port['network_id'] = twin_network
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['master', 'worker'])
    assert group_ids(lookup) == {
        'master': ['sg-master'], 'worker': ['sg-minion']}


def test_a_fixed_network_neutron_does_not_know_leaves_the_choice_to_the_addresses():
    cloud = FakeClusterCloud('floating')
    fixed_addresses_only(cloud, fixed_network='gone-net')
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['worker'])
    assert [g['id'] for g in lookup.groups['worker']] == ['sg-minion']


def test_port_lookup_failure_names_the_address():
    msg = message_when_neutron_refuses('floating', 'ips', 'get_floatingip')
    assert msg.startswith('Failed to find the port holding address 172.24.4.10: ')


def test_ports_listing_their_groups_as_neutron_s_api_names_them():
    cloud = FakeClusterCloud('floating')
    for port in cloud.neutron.port_records:
        port['security_groups'] = port.pop('security_group_ids')
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['master', 'worker'])
    assert group_ids(lookup) == {
        'master': ['sg-master'], 'worker': ['sg-minion']}


def test_a_group_of_the_stack_that_neutron_lacks_is_named():
    cloud = FakeClusterCloud('heat')
    del cloud.neutron.groups['sg-minion']
    assert lookup_error(cloud, ['worker']) == (
        'Cannot read security group sg-minion (from Heat stack '
        '0f0a6f5e-4b3a-4f57-9b76-7b6a3c0f1e01): Neutron has no security group sg-minion.')
    assert lookup_error(cloud, ['master', 'worker']).startswith(
        'Cannot read security groups sg-master, sg-minion (from Heat stack ')


def test_a_failed_group_read_names_the_groups():
    msg = message_when_neutron_refuses('heat', 'security_groups', 'get_security_groups')
    assert msg.startswith('Failed to read security group sg-minion (from Heat stack '
                          '0f0a6f5e-4b3a-4f57-9b76-7b6a3c0f1e01): ')


def test_a_fixed_network_name_neutron_cannot_resolve_leaves_the_choice_to_the_addresses():
    cloud = FakeClusterCloud('floating')
    fixed_addresses_only(cloud, fixed_network='k8s-cluster-net')

    def duplicate(name_or_id, ignore_missing=True):
        # openstacksdk's find_network() when two networks carry the name.
        raise Exception('More than one Network exists with the name k8s-cluster-net.')

    cloud.neutron.find_network = duplicate
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['worker'])
    assert [g['id'] for g in lookup.groups['worker']] == ['sg-minion']


def test_every_role_no_port_holds_is_reported():
    cloud = FakeClusterCloud('stack_gone')
    cloud.cluster.update(master_addresses=['10.9.9.8'], node_addresses=['10.9.9.9'])
    assert lookup_error(cloud, ['master', 'worker']).endswith(
        'ports: no port holds the master addresses 10.9.9.8; no port holds the worker addresses 10.9.9.9.')


def test_a_group_of_a_port_that_neutron_lacks_names_the_port_s_role():
    cloud = FakeClusterCloud('floating')
    del cloud.neutron.groups['sg-minion']
    assert lookup_error(cloud, ['worker']) == (
        'Cannot read security group sg-minion (from a worker port): Neutron has no security group sg-minion.')


def test_an_address_only_one_port_holds_is_that_port_s_off_the_fixed_network_too():
    cloud = FakeClusterCloud('floating')
    fixed_addresses_only(cloud, fixed_network='k8s-cluster-net')
    cloud.neutron.port_records[0]['network_id'] = 'net-masters'
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['master'])
    assert [g['id'] for g in lookup.groups['master']] == ['sg-master']


@pytest.mark.parametrize('ethertype, prefix, family', [('IPv4', '::/0', 'IPv6'), ('IPv6', '10.0.0.0/8', 'IPv4')])
def test_an_ethertype_of_the_other_family_than_the_prefix_is_refused(ethertype, prefix, family):
    rule, errors = parse_rule({'port': 443, 'remote_ip_prefix': prefix, 'ethertype': ethertype}, 1)
    assert (rule, errors) == (None, ['rules[1].ethertype: %s does not match remote_ip_prefix %s (an %s network)'
                                     % (ethertype, prefix, family)])


def test_every_role_with_only_the_default_group_is_reported():
    cloud = FakeClusterCloud('stack_gone')
    for port in cloud.neutron.port_records:
        port['security_group_ids'] = ['sg-default']
    assert lookup_error(cloud, ['master', 'worker']).endswith(
        "ports: the master ports carry only the project's default security group; the worker ports carry only the "
        "project's default security group.")


def test_a_rule_given_twice_is_added_once_and_the_rules_after_it_still_are():
    wanted = wanted_rules([{'port': 80, 'remote_ip_prefix': '0.0.0.0/0'}, {'port': 80, 'remote_ip_prefix': '0.0.0.0/0'},
                           {'port': 443, 'remote_ip_prefix': '0.0.0.0/0'}])
    assert [rule['index'] for rule in plan_group(wanted, [], 'present', False)['add']] == [0, 2]


def test_a_heat_error_that_only_says_not_found_is_not_a_missing_service():
    cloud = FakeClusterCloud('heat')

    class BadRequest(Exception):
        status_code = 400

    cloud.heat.fail_with = BadRequest('Filter resource_type not found.')
    assert lookup_error(cloud, ['master']).startswith('Failed to list the resources of Heat stack 0f0a6f5e')


def test_a_port_group_named_before_default_in_the_alphabet_is_used():
    cloud = FakeClusterCloud('stack_gone')
    cloud.neutron.groups['sg-minion']['name'] = 'access'
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['worker'])
    assert (lookup.way, [g['name'] for g in lookup.groups['worker']]) == ('ports', ['access'])


def test_cluster_api_groups_in_the_shared_namespace_of_magnum_cluster_api_are_found():
    cloud = FakeClusterCloud('cluster_api')
    group = cloud.neutron.groups['sg-minion']
    group['name'] = 'k8s-cluster-magnum-system-k8s-cluster-x7kq2m9d3a1b-secgroup-worker'
    cloud.neutron.network_records[0]['name'] = 'k8s-clusterapi-cluster-magnum-system-k8s-cluster-x7kq2m9d3a1b'
    lookup = GroupFinder(cloud.connection).find(cloud.cluster, ['worker'])
    assert 'carried by port k8s-cluster-x7kq2m9d3a1b-default-worker-5c9d8-0' in lookup.evidence['worker']
