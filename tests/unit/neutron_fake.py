# -*- coding: utf-8 -*-
"""In-memory Neutron and Heat behind a session, seeded from a cloud fixture under
tests/unit/fixtures/cluster_ports/clouds/.

They answer the HTTP requests the security group code makes the way the services do (Neutron's JSON names,
`{"NeutronError": {...}}` bodies, 404 for a missing stack, port or network, 409 for a duplicate rule, no Heat at
all on Cluster API clouds) and record every call by the name of the operation.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import itertools
import json
from urllib.parse import parse_qs, urlparse

from ansible_collections.coe.magnum.plugins.module_utils.errors import http_status_of
from ansible_collections.coe.magnum.tests.unit.data import load
from ansible_collections.coe.magnum.tests.unit.fakes import FakeCloud, FakeResource

RULE_FIELDS = ('direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix',
               'remote_group_id')


class NotFoundException(Exception):
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


def _as_neutron_json(record):
    """A fixture record with Neutron's own field names (the fixtures use openstacksdk's for ports and rules)."""
    record = dict(record)
    if 'security_group_ids' in record:
        record['security_groups'] = record.pop('security_group_ids')
    if 'ether_type' in record:
        record['ethertype'] = record.pop('ether_type')
    return record


class FakeNeutron:
    ENDPOINT = 'https://neutron.example.org:9696'

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

    def request(self, url, method, headers=None, raise_exc=True, data=None, allow_reauth=True):
        """One HTTP request at <endpoint>/v2.0/..., answered as Neutron answers it."""
        parsed = urlparse(url)
        assert url.startswith(self.ENDPOINT + '/v2.0/'), url
        parts = parsed.path[len('/v2.0/'):].split('/')
        filters = dict((key, values if key == 'id' else values[0])
                       for key, values in parse_qs(parsed.query, keep_blank_values=True).items())
        try:
            status, body = self._route(method, parts, filters, json.loads(data) if data else None)
        except ConnectFailure:
            raise
        except Exception as exc:
            status = http_status_of(exc) or 500
            body = {'NeutronError': {'type': type(exc).__name__, 'message': str(exc), 'detail': ''}}
        return FakeHttpResponse(status, body, url)

    def _route(self, method, parts, filters, body):
        collection, ident = parts[0], (parts[1] if len(parts) > 1 else None)
        listed = {'security-groups': self.security_groups, 'security-group-rules': self.security_group_rules,
                  'floatingips': self.ips, 'ports': self.ports, 'networks': self.networks}
        if method == 'GET' and ident is None:
            records = [_as_neutron_json(record) for record in listed[collection](**filters)]
            return 200, {collection.replace('-', '_'): records}
        if method == 'GET' and collection in ('ports', 'networks'):
            record = (self.get_port if collection == 'ports' else self.get_network)(ident)
            return 200, {collection[:-1]: _as_neutron_json(record)}
        if method == 'POST' and collection == 'security-group-rules':
            fields = _as_neutron_json(body['security_group_rule'])
            fields['ether_type'] = fields.pop('ethertype')
            return 201, {'security_group_rule': _as_neutron_json(self.create_security_group_rule(**fields))}
        if method == 'DELETE' and collection == 'security-group-rules':
            self.delete_security_group_rule(ident)
            return 204, None
        raise AssertionError('%s /%s is not a request the security group code makes' % (method, '/'.join(parts)))

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
        return self._shown('Port', self.port_records, port_id)

    def get_network(self, network_id):
        return self._shown('Network', self.network_records, network_id)

    def _shown(self, kind, records, ident):
        """GET /<kind>s/<id>: the record, or Neutron's 404."""
        self.calls.append(('get_%s' % kind.lower(), ident))
        found = [record for record in records if record['id'] == ident]
        if not found:
            raise NotFoundException('%s %s could not be found.' % (kind, ident))
        return FakeResource(found[0])

    def networks(self, name=None):
        self.calls.append(('networks', name))
        return [FakeResource(network) for network in self.network_records if name in (None, network['name'])]


class FakeHttpResponse:
    """What keystoneauth's session returns with raise_exc=False."""

    def __init__(self, status, body, url):
        self.status_code = status
        self.url = url
        self.headers = {'x-openstack-request-id': 'req-fake'}
        self.text = json.dumps(body) if body is not None else ''
        self.content = self.text.encode()

    def json(self):
        return json.loads(self.text)


class QueuedSession:
    """The request side of keystoneauth's session for a gateway's unit tests: answers queued per (method, URL);
    every request recorded as (method, URL, JSON body), its headers beside it, the last allow_reauth kept."""

    def __init__(self, answers):
        self.answers = dict((key, list(value)) for key, value in answers.items())
        self.requests = []
        self.headers = []
        self.reauth = None

    def request(self, url, method, headers=None, raise_exc=True, data=None, allow_reauth=True):
        assert raise_exc is False
        self.requests.append((method, url, json.loads(data) if data else None))
        self.headers.append(dict(headers or {}))
        self.reauth = allow_reauth
        status, body = self.answers[(method, url)].pop(0)
        return FakeHttpResponse(status, body, url)


class SessionConnection:
    """A connection whose session also plays its CloudRegion (`config`)."""

    def __init__(self, session):
        self.session = session
        self.config = session


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


class FakeSession:
    """keystoneauth's session as the security group code uses it: Heat's resources by `get`, Neutron by
    `request`, each service's endpoint from the catalog."""

    def __init__(self, heat, neutron):
        self.heat = heat
        self.neutron = neutron

    def get_endpoint(self, service_type=None, interface=None, region_name=None):
        if service_type == 'network':
            return self.neutron.ENDPOINT
        return self.heat.get_endpoint(service_type=service_type, interface=interface, region_name=region_name)

    def get(self, url, headers=None, allow_reauth=True):
        return self.heat.get(url, headers=headers)

    def request(self, url, method, **kwargs):
        return self.neutron.request(url, method, **kwargs)


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
        self.neutron = FakeNeutron(data)
        # The resolver finds a rule's remote group through openstacksdk's network proxy, the group code through
        # the session: both reach the same Neutron.
        self.connection.network = self.neutron
        self.heat = FakeHeat(data)
        self.connection.session = FakeSession(self.heat, self.neutron)
        self.connection.config = FakeConfig()
