# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.security_groups import GroupFinder
from ansible_collections.coe.magnum.tests.unit.data import cases
from ansible_collections.coe.magnum.tests.unit.neutron_fake import FakeClusterCloud


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


def test_every_role_with_only_the_default_group_is_reported():
    cloud = FakeClusterCloud('stack_gone')
    for port in cloud.neutron.port_records:
        port['security_group_ids'] = ['sg-default']
    assert lookup_error(cloud, ['master', 'worker']).endswith(
        "ports: the master ports carry only the project's default security group; the worker ports carry only the "
        "project's default security group.")


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


class HeldToken:
    """keystoneauth's auth plugin once it holds a token that does not expire soon."""

    class auth_ref:
        @staticmethod
        def will_expire_soon(seconds):
            return False


class RememberingCloud:
    """The run cache's facts in a dict, and a session that holds a token, so reads may go ahead."""

    def __init__(self, monkeypatch, cloud):
        from ansible_collections.coe.magnum.plugins.module_utils import security_groups
        self.facts = {}
        monkeypatch.setattr(security_groups, 'cached_fact', lambda _c, kind, key: self.facts.get((kind, key)))
        monkeypatch.setattr(security_groups, 'remember_fact',
                            lambda _c, kind, key, value: self.facts.__setitem__((kind, key), value))
        cloud.connection.session.auth = HeldToken()
        self.cloud = cloud

    def lookup(self, roles=('master', 'worker'), sent_ahead=0):
        finder = GroupFinder(self.cloud.connection)
        finder.read_ahead(self.cloud.cluster['name'])
        # The reads sent ahead reach the services before find() asks anything.
        deadline = time.time() + 5
        while len(self.cloud.heat.calls) + len(self.cloud.neutron.calls) < sent_ahead and time.time() < deadline:
            time.sleep(0.01)
        assert len(self.cloud.heat.calls) + len(self.cloud.neutron.calls) == sent_ahead
        return group_ids(finder.find(self.cloud.cluster, list(roles)))


def test_a_second_lookup_reads_the_stack_and_groups_ahead_and_only_once(monkeypatch):
    cloud = FakeClusterCloud('heat')
    remembering = RememberingCloud(monkeypatch, cloud)
    first = remembering.lookup()
    cloud.heat.calls, cloud.neutron.calls = [], []
    assert remembering.lookup(sent_ahead=2) == first
    # The reads went ahead (sent before find() asked) and find() took their answers: one of each, not two.
    assert sorted(cloud.heat.calls) == [('resources', cloud.cluster['stack_id'])]
    assert cloud.neutron.calls == [('security_groups', None, ['sg-master', 'sg-minion'])]


def test_answers_read_ahead_for_another_stack_or_other_groups_are_not_taken(monkeypatch):
    cloud = FakeClusterCloud('heat')
    remembering = RememberingCloud(monkeypatch, cloud)
    remembering.lookup()
    stack_id = cloud.cluster['stack_id']
    # The cluster was made again under its name: a new stack, whose worker group is another one.
    new_stack = 'f' * 8 + stack_id[8:]
    resources = [dict(item) for item in cloud.heat.heat['stacks'][stack_id]]
    for item in resources:
        if item.get('resource_name', item.get('name')) == 'secgroup_kube_minion':
            item['physical_resource_id'] = 'sg-twin'
    cloud.heat.heat['stacks'][new_stack] = resources
    cloud.neutron.groups['sg-twin'] = dict(cloud.neutron.groups['sg-minion'], id='sg-twin', name='twin')
    cloud.cluster['stack_id'] = new_stack
    cloud.heat.calls, cloud.neutron.calls = [], []
    assert remembering.lookup(sent_ahead=2) == {'master': ['sg-master'], 'worker': ['sg-twin']}
    # The old stack's resources and groups were read ahead, then the new stack and its groups read for real.
    assert sorted(cloud.heat.calls) == sorted([('resources', stack_id), ('resources', new_stack)])
    assert sorted(call[2] for call in cloud.neutron.calls) == [['sg-master', 'sg-minion'], ['sg-master', 'sg-twin']]
    # What is remembered now is the new stack's.
    assert remembering.facts[('cluster_groups', cloud.cluster['name'])] == {
        'stack_id': new_stack, 'group_ids': ['sg-master', 'sg-twin']}


def test_the_lookup_finds_its_endpoints_after_the_reads_sent_ahead(monkeypatch):
    # A cached token of a project made again since: the reads sent ahead go to the old project's Heat URL and are
    # refused; the lookup, once its own request has a new token, reads the stack at the new catalog's URL.
    cloud = FakeClusterCloud('heat')
    remembering = RememberingCloud(monkeypatch, cloud)
    first = remembering.lookup()

    class Forbidden(Exception):
        http_status = 403

    cloud.heat.calls, cloud.neutron.calls = [], []
    cloud.heat.fail_with = Forbidden('Access was denied to this resource.')
    finder = GroupFinder(cloud.connection)
    finder.read_ahead(cloud.cluster['name'])
    deadline = time.time() + 5
    while not cloud.heat.calls and time.time() < deadline:
        time.sleep(0.01)
    cloud.heat.fail_with = None
    cloud.heat.ENDPOINT = 'https://heat.example.org:8004/v1/project-2'
    assert group_ids(finder.find(cloud.cluster, ['master', 'worker'])) == first
    assert len(cloud.heat.calls) == 2
