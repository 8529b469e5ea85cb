# -*- coding: utf-8 -*-
"""In-memory Neutron and Heat proxies, seeded from a cloud fixture under tests/unit/fixtures/cluster_ports/clouds/.

They answer the openstacksdk calls (and Heat's HTTP request) the security group code makes the way the services
do (404 for a missing stack or group, 409 for a duplicate rule, no Heat at all on Cluster API clouds) and record
every call.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import itertools

from ansible_collections.coe.magnum.tests.unit.data import load
from ansible_collections.coe.magnum.tests.unit.fakes import FakeCloud, FakeResource

RULE_FIELDS = ('direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix',
               'remote_group_id')


class NotFoundException(Exception):
    """Shaped like openstacksdk's NotFoundException."""

    status_code = 404


class ConnectFailure(Exception):
    """Shaped like keystoneauth's."""


CUT_CONNECTION = ("Unable to establish connection to https://neutron.example.org/v2.0/security-group-rules: "
                  "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))")


class ConflictException(Exception):
    status_code = 409


def _rule(record, group_id):
    rule = dict((field, None) for field in RULE_FIELDS)
    rule.update(direction='ingress', ethertype='IPv4', description='')
    rule.update(record)
    rule['security_group_id'] = group_id
    return rule


class FakeNeutron:
    def __init__(self, cloud):
        # Records without a project_id belong to the cluster's project.
        self.project_id = (cloud.get('cluster') or {}).get('project_id') or 'project-1'
        self.groups = dict((g['id'], {'id': g['id'], 'name': g['name'],
                                      'project_id': g.get('project_id', self.project_id),
                                      'description': g.get('description', ''),
                                      'security_group_rules': [_rule(r, g['id']) for r in g.get('rules', [])]})
                           for g in cloud.get('security_groups', []))
        self.port_records = cloud.get('ports', [])
        self.floating_ip_records = cloud.get('floating_ips', [])
        self.network_records = cloud.get('networks', [])
        self.calls = []
        # Creates whose answer is lost: Neutron makes the rule, the client's connection is reset.
        self.lost_answers = 0
        self._ids = ('rule-%d' % n for n in itertools.count(1))

    def mutating_calls(self):
        return [call for call in self.calls if call[0] in ('create_security_group_rule', 'delete_security_group_rule')]

    def security_groups(self, project_id=None, id=None):
        self.calls.append(('security_groups', project_id, id))
        return [FakeResource(copy.deepcopy(group)) for group in self.groups.values()
                if self._owned(group, project_id) and (id is None or group['id'] in id)]

    def find_security_group(self, name_or_id, ignore_missing=True):
        self.calls.append(('find_security_group', name_or_id))
        matches = [g for g in self.groups.values() if name_or_id in (g['id'], g['name'])]
        return FakeResource(copy.deepcopy(matches[0])) if matches else None

    def security_group_rules(self, security_group_id=None):
        self.calls.append(('security_group_rules', security_group_id))
        return [FakeResource(rule) for rule in self.groups[security_group_id]['security_group_rules']]

    def create_security_group_rule(self, **body):
        self.calls.append(('create_security_group_rule', body))
        body = dict(body)
        group = self.groups[body.pop('security_group_id')]
        body['ethertype'] = body.pop('ether_type')
        rule = _rule(body, group['id'])
        for existing in group['security_group_rules']:
            if all(existing.get(f) == rule.get(f) for f in RULE_FIELDS):
                raise ConflictException('Security group rule already exists. Rule id is %s.' % existing['id'])
        rule['id'] = next(self._ids)
        group['security_group_rules'].append(rule)
        created = dict(rule)
        # openstacksdk's SecurityGroupRule names the attribute ether_type.
        created['ether_type'] = created.pop('ethertype')
        if self.lost_answers:
            self.lost_answers -= 1
            raise ConnectFailure(CUT_CONNECTION)
        return FakeResource(created)

    def delete_security_group_rule(self, rule_id, ignore_missing=True):
        self.calls.append(('delete_security_group_rule', rule_id))
        for group in self.groups.values():
            group['security_group_rules'] = [r for r in group['security_group_rules'] if r['id'] != rule_id]

    def rules_of(self, group_id):
        return self.groups[group_id]['security_group_rules']

    def _owned(self, record, project_id):
        return project_id is None or record.get('project_id', self.project_id) == project_id

    def ips(self, floating_ip_address=None, project_id=None):
        self.calls.append(('ips', floating_ip_address))
        return [FakeResource(ip) for ip in self.floating_ip_records
                if ip['floating_ip_address'] == floating_ip_address and self._owned(ip, project_id)]

    def ports(self, fixed_ips=None, project_id=None, network_id=None):
        self.calls.append(('ports', fixed_ips or 'network_id=%s' % network_id))
        address = fixed_ips.split('=', 1)[1] if fixed_ips else None
        return [FakeResource(port) for port in self.port_records
                if (address is None or any(ip['ip_address'] == address for ip in port['fixed_ips']))
                and (network_id is None or port.get('network_id') == network_id) and self._owned(port, project_id)]

    def get_port(self, port_id):
        self.calls.append(('get_port', port_id))
        return FakeResource([port for port in self.port_records if port['id'] == port_id][0])

    def find_network(self, name_or_id, ignore_missing=True):
        self.calls.append(('find_network', name_or_id))
        matches = [n for n in self.network_records if name_or_id in (n['id'], n['name'])]
        return _Network(matches[0]) if matches else None


class _Network(FakeResource):
    @property
    def id(self):
        return self['id']


class HttpNotFound(Exception):
    """Shaped like keystoneauth's NotFound."""

    http_status = 404


class FakeResponse:
    def __init__(self, body, url=None):
        self._body = body
        self.url = url

    def json(self):
        return copy.deepcopy(self._body)


class FakeHeat:
    """Heat behind the session: GET <catalog URL>/stacks/<id>/resources, as the services answer it."""

    ENDPOINT = 'https://heat.example.org:8004/v1/project-1'

    def __init__(self, cloud):
        self.heat = cloud.get('heat') or {'stacks': {}}
        self.calls = []
        self.fail_with = None

    def get_endpoint(self, service_type=None, interface=None, region_name=None):
        return None if self.heat == 'no_service' or service_type != 'orchestration' else self.ENDPOINT

    @staticmethod
    def stack_name(stack_id):
        return 'k8s-cluster-%s' % stack_id[:8]

    def get(self, url, headers=None):
        """GET <endpoint>/stacks/<id>/resources redirects to <endpoint>/stacks/<name>/<id>/resources."""
        prefix, _separator, identity = url.rpartition('/stacks/')
        assert prefix == self.ENDPOINT and url.endswith('/resources'), url
        name, _separator, stack = identity[:-len('/resources')].rpartition('/')
        self.calls.append(('resources', stack) if not name else ('resources', name, stack))
        if self.fail_with is not None:
            raise self.fail_with
        stacks = self.heat.get('stacks') or {}
        if stack not in stacks or name not in ('', self.stack_name(stack)):
            raise HttpNotFound('Stack %s could not be found.' % (name or stack))
        return FakeResponse({'resources': stacks[stack]},
                            url='%s/stacks/%s/%s/resources' % (self.ENDPOINT, self.stack_name(stack), stack))


class FakeConfig:
    """The parts of openstacksdk's CloudRegion the endpoint lookup reads: no overrides."""

    def get_endpoint(self, service_type):
        return None

    def get_interface(self, service_type):
        return 'public'

    def get_region_name(self, service_type):
        return 'RegionOne'


def cloud_fixture(name):
    return load('cluster_ports/clouds/%s.yml' % name)


class FakeClusterCloud(FakeCloud):
    """FakeCloud with the cluster of a fixture in Magnum and its groups, ports and stack in Neutron and Heat."""

    def __init__(self, name):
        super(FakeClusterCloud, self).__init__()
        data = cloud_fixture(name)
        self.cluster = dict(data['cluster'])
        self.http.add('clusters', **copy.deepcopy(self.cluster))
        self.neutron = self.connection.network = FakeNeutron(data)
        self.heat = self.connection.session = FakeHeat(data)
        self.connection.config = FakeConfig()
