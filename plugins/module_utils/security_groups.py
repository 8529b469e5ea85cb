# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A cluster's security groups on Neutron: which groups belong to the cluster, and their rules read, added
and removed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, http_status_of, translate
from ansible_collections.coe.magnum.plugins.module_utils.heat import HeatStacks
from ansible_collections.coe.magnum.plugins.module_utils.neutron import NeutronApi
from ansible_collections.coe.magnum.plugins.module_utils.prefetch import ReadAhead, answer_of, holds_token
from ansible_collections.coe.magnum.plugins.module_utils.run_cache import cached_fact, remember_fact
from ansible_collections.coe.magnum.plugins.module_utils.retry import call_with_retries, send_confirmed
from ansible_collections.coe.magnum.plugins.module_utils.security_group_rules import (
    describe_rule, neutron_create_body, rule_from_neutron, rule_key,
)

ROLES = ('master', 'worker')

# Heat resource names of the groups in Magnum's Heat templates (Kubernetes, then Swarm mode).
HEAT_GROUP_RESOURCES = {
    'master': ('secgroup_kube_master', 'secgroup_swarm_manager'),
    'worker': ('secgroup_kube_minion', 'secgroup_swarm_node'),
}
# Cluster API Provider OpenStack (pkg/cloud/services/networking) names its managed groups
# k8s-cluster-<namespace>-<cluster>-secgroup-<suffix>, describes them "Cluster API managed group", and puts the
# machines' ports on its network k8s-clusterapi-cluster-<namespace>-<cluster>; Magnum's Cluster API drivers name
# the Cluster API cluster after the Magnum cluster's stack_id.
CAPI_GROUP_PREFIX = 'k8s-cluster-'
CAPI_GROUP_SUFFIXES = {'master': 'controlplane', 'worker': 'worker'}
CAPI_GROUP_SUFFIX_PATTERN = '-secgroup-(?P<suffix>controlplane|worker)'
CAPI_GROUP_DESCRIPTION = 'Cluster API managed group'
CAPI_SHARED_NAMESPACE = 'magnum-system'


def capi_group_name(namespace, cluster_name, suffix):
    return '%s%s-%s-secgroup-%s' % (CAPI_GROUP_PREFIX, namespace, cluster_name, suffix)


def capi_network_name(namespace, cluster_name):
    return 'k8s-clusterapi-cluster-%s-%s' % (namespace, cluster_name)


# ---------------------------------------------------------------------------------------------------------------
# Finding the cluster's groups
# ---------------------------------------------------------------------------------------------------------------

def _record(resource):
    if resource is None or isinstance(resource, dict):
        return resource
    return resource.to_dict(computed=False) if hasattr(resource, 'to_dict') else dict(resource)


def _owned_by(cluster):
    """A Neutron list filter on the cluster's project: an admin's lists span every project."""
    return {'project_id': cluster['project_id']} if cluster.get('project_id') else {}


def _is_missing_service(exc):
    """The cloud has no such service in its catalog (Cluster API clouds often run without Heat)."""
    if type(exc).__name__ in ('EndpointNotFound', 'ServiceDisabledException', 'NoMatchingPlugin'):
        return True
    text = str(exc).lower()
    return 'endpoint' in text and 'not found' in text


class GroupLookup:
    """The outcome of a lookup: the way that worked, the groups per role, and what was tried on the way."""

    def __init__(self, way, groups, tried, notes=None, evidence=None):
        self.way = way
        self.groups = groups
        self.tried = tried
        self.notes = notes or []
        # {role: the records that tie the role's group to the cluster}
        self.evidence = evidence or {}


class GroupFinder:
    """Finds a cluster's master and worker security groups the way the cloud built them.

    In order: the Heat stack's resources (Magnum's Heat drivers), the Cluster API group names (Cluster API
    drivers), the Neutron ports that hold the cluster's addresses. Every way that does not apply is recorded
    in `tried` so the user learns why the next one was used.
    """

    def __init__(self, connection, heat=None):
        self._connection = connection
        self._neutron = NeutronApi(connection)
        self._heat = heat if heat is not None else HeatStacks(connection)
        # {stack_id: resources} and {tuple of group IDs: groups} read ahead (read_ahead()), each taken only when
        # the lookup asks that very question.
        self._resources_ahead = {}
        self._groups_ahead = {}

    def read_ahead(self, cluster_ident):
        """Send the Heat and Neutron reads of an earlier lookup of this cluster (kept in the cache) while the
        cluster is looked up: on a converged run the three round trips overlap. The answers are used only if the
        cluster found has the same stack and the stack the same groups; otherwise the lookup reads again."""
        remembered = cached_fact(self._connection, 'cluster_groups', cluster_ident)
        if not isinstance(remembered, dict) or not remembered.get('stack_id') or not holds_token(self._connection):
            return
        stack_id, group_ids = remembered['stack_id'], tuple(sorted(remembered.get('group_ids') or []))
        # Gateways of their own: the endpoints they find now come from the token held now, which the lookup may
        # replace (a revoked token, a project made again), and the lookup's gateways find theirs afterwards.
        heat, neutron = HeatStacks(self._connection), NeutronApi(self._connection)
        try:
            # Found here, not in two threads.
            heat.endpoint()
            neutron.endpoint()
        except Exception:  # the lookup reports it in its own words
            return
        # A 401 of a read sent ahead is left to the lookup's own request: two threads renewing one token race.
        self._resources_ahead[stack_id] = ReadAhead(lambda: heat.resources(stack_id, allow_reauth=False))
        if group_ids:
            self._groups_ahead[group_ids] = ReadAhead(
                lambda: neutron.security_groups(id=list(group_ids), allow_reauth=False))

    def find(self, cluster, roles):
        tried = []
        for way, method in (('heat', self._from_heat), ('cluster_api', self._from_cluster_api),
                            ('ports', self._from_ports)):
            outcome = method(cluster, roles, tried)
            if outcome is not None:
                groups, notes, evidence = outcome
                return GroupLookup(way, groups, tried, notes, evidence)
        raise CoeError('No security groups found for cluster %r (%s); tried: %s.'
                       % (cluster.get('name'), ', '.join(roles), '; '.join(tried)), lookup_tried=tried)

    # -- Heat -----------------------------------------------------------------------------------------------
    def _from_heat(self, cluster, roles, tried):
        stack_id = cluster.get('stack_id')
        if not stack_id:
            tried.append('heat: the cluster has no stack_id')
            return None
        try:
            resources = answer_of(self._resources_ahead.pop(stack_id, None))
            if resources is None:
                resources = call_with_retries(lambda: [_record(item) for item in self._heat.resources(stack_id)])
        except Exception as exc:
            status = http_status_of(exc)
            if status == 404 or type(exc).__name__ in ('NotFoundException', 'ResourceNotFound'):
                tried.append('heat: no stack %s' % stack_id)
                return None
            if _is_missing_service(exc):
                tried.append('heat: the cloud has no orchestration service')
                return None
            raise translate(exc, 'list the resources of Heat stack %s' % stack_id) from exc
        by_name = dict((item.get('name') or item.get('resource_name'), item) for item in resources)
        ids, missing, evidence = {}, [], {}
        for role in roles:
            found = [by_name[name] for name in HEAT_GROUP_RESOURCES[role] if name in by_name]
            ids[role] = [item.get('physical_resource_id') for item in found if item.get('physical_resource_id')]
            evidence[role] = 'resource %s of Heat stack %s' % (
                ', '.join(item.get('name') or item.get('resource_name') for item in found), stack_id)
            if not ids[role]:
                missing.append('/'.join(HEAT_GROUP_RESOURCES[role]))
        if missing:
            tried.append('heat: stack %s has no %s resource' % (stack_id, ' or '.join(missing)))
            return None
        # Every role's groups in one Neutron request.
        group_ids = [group_id for role in roles for group_id in ids[role]]
        by_id = self._groups(group_ids, 'Heat stack %s' % stack_id)
        if cluster.get('name'):
            remember_fact(self._connection, 'cluster_groups', cluster['name'],
                          {'stack_id': stack_id, 'group_ids': sorted(set(group_ids))})
        return dict((role, [by_id[group_id] for group_id in ids[role]]) for role in roles), [], evidence

    # -- Cluster API ----------------------------------------------------------------------------------------
    def _from_cluster_api(self, cluster, roles, tried):
        """The groups CAPO made for this cluster, proven by the cluster's own records.

        The name alone proves nothing (anyone can name a group so): a group counts only when its name holds the
        cluster's stack_id (the Cluster API cluster's name) in a namespace of the cluster's project, and a port
        of the cluster's machines on CAPO's network for the cluster carries it, or, when no machine of the role
        has a port yet, it bears the description CAPO gives the groups it manages.
        """
        name = cluster.get('stack_id')
        if not name:
            tried.append('cluster_api: the cluster has no stack_id (the Cluster API cluster name)')
            return None
        project = re.sub('[^a-z0-9]', '', (cluster.get('project_id') or '').lower())
        # magnum-capi-helm puts a cluster in the namespace <namespace_prefix>-<project id, alphanumerics only>,
        # magnum-cluster-api puts every cluster in one namespace.
        namespace = (r'(?P<namespace>%s|[a-z0-9-]+-%s)' % (CAPI_SHARED_NAMESPACE, project) if project
                     else r'(?P<namespace>.+)')
        pattern = re.compile(r'^%s%s-%s%s$' % (re.escape(CAPI_GROUP_PREFIX), namespace, re.escape(name),
                                               CAPI_GROUP_SUFFIX_PATTERN))
        try:
            candidates = call_with_retries(lambda: [
                _record(group) for group in self._neutron.security_groups(**_owned_by(cluster))])
        except Exception as exc:
            raise translate(exc, 'list security groups') from exc
        matched = {}
        for group in candidates:
            match = pattern.match(group.get('name') or '')
            if match:
                matched.setdefault(match.group('suffix'), []).append((match.group('namespace'), group))
        groups, namespaces, missing = {}, set(), []
        for role in roles:
            found = matched.get(CAPI_GROUP_SUFFIXES[role], [])
            if not found:
                missing.append(capi_group_name('<prefix>-%s' % project if project else '<namespace>', name,
                                               CAPI_GROUP_SUFFIXES[role]))
                continue
            if len(found) > 1:
                raise CoeError('Several Cluster API security groups match cluster %r: %s; the cluster cannot be '
                               'told apart from another with the same Cluster API name.'
                               % (cluster.get('name'), ', '.join(sorted(g['name'] for _n, g in found))))
            namespaces.add(found[0][0])
            groups[role] = [found[0][1]]
        if missing:
            tried.append('cluster_api: no security group named %s' % ' or '.join(missing))
            return None
        evidence, unproven = self._capi_evidence(cluster, name, namespaces, groups)
        if unproven:
            tried.append('cluster_api: %s' % '; '.join(unproven))
            return None
        notes = ['The groups are managed by Cluster API Provider OpenStack, which reconciles their rules to its '
                 'own list and may remove rules added here; prefer the driver\'s own way to add rules where it '
                 'has one.']
        return groups, notes, evidence

    def _capi_evidence(self, cluster, name, namespaces, groups):
        """({role: how the cluster's records tie the group to it}, [groups nothing ties to it])."""
        network = None
        for namespace in sorted(namespaces):
            network = self._network(capi_network_name(namespace, name))
            if network is not None:
                break
        if network is None and cluster.get('fixed_network'):
            network = self._network(cluster['fixed_network'])
        carried = {}
        if network is not None:
            try:
                ports = call_with_retries(lambda: [_record(port) for port in self._neutron.ports(
                    network_id=network['id'], **_owned_by(cluster))])
            except Exception as exc:
                raise translate(exc, 'list the ports of network %s' % network['id']) from exc
            for port in ports:
                for group_id in port.get('security_group_ids') or port.get('security_groups') or []:
                    carried.setdefault(group_id, []).append(port.get('name') or port['id'])
        evidence, unproven = {}, []
        for role, found in groups.items():
            group = found[0]
            if carried.get(group['id']):
                evidence[role] = ('%s: named after stack_id %s; carried by port %s on network %s'
                                  % (group['name'], name, ', '.join(sorted(carried[group['id']])), network['name']))
            elif group.get('description') == CAPI_GROUP_DESCRIPTION:
                evidence[role] = ('%s: named after stack_id %s; described %r as Cluster API Provider OpenStack '
                                  'describes its groups (no port of the cluster carries it yet)'
                                  % (group['name'], name, CAPI_GROUP_DESCRIPTION))
            else:
                unproven.append('%s is named like the cluster\'s %s group, but no port of the cluster\'s network '
                                'carries it and it lacks the description %r: not taken for the cluster\'s'
                                % (group['name'], role, CAPI_GROUP_DESCRIPTION))
        return evidence, unproven

    def _network(self, name_or_id):
        try:
            found = self._neutron.find_network(name_or_id, ignore_missing=True)
        except Exception:
            return None
        return _record(found) if found is not None else None

    # -- Neutron ports --------------------------------------------------------------------------------------
    def _from_ports(self, cluster, roles, tried):
        addresses = {'master': cluster.get('master_addresses') or [], 'worker': cluster.get('node_addresses') or []}
        if not any(addresses.values()):
            tried.append('ports: the cluster reports no master or node addresses')
            return None
        held = self._ports_holding(cluster, [a for role in ROLES for a in addresses[role]])
        ports = dict((role, [held[address] for address in addresses[role] if address in held]) for role in ROLES)
        sets = dict((role, self._common_groups(ports[role])) for role in ROLES)
        groups, missing, evidence = {}, [], {}
        for role in roles:
            other = [r for r in ROLES if r != role][0]
            if not ports[role]:
                missing.append('no port holds the %s addresses %s' % (role, ', '.join(addresses[role]) or '(none)'))
                continue
            own = sets[role] - sets[other] if ports[other] else sets[role]
            if not own and len(roles) == 2:
                own = sets[role]
            if not own:
                shared = ', '.join(sorted(sets[role])) or 'none'
                missing.append('the %s ports share every security group with the %s ports (%s); give role=all '
                               'to change the shared groups' % (role, other, shared))
                continue
            by_id = self._groups(sorted(own), 'a %s port' % role)
            found = [by_id[group_id] for group_id in sorted(own)]
            # The project's default group is on every instance of the project: never widen it.
            found = [group for group in found if group.get('name') != 'default']
            if not found:
                missing.append('the %s ports carry only the project\'s default security group' % role)
                continue
            groups[role] = found
            evidence[role] = 'carried by every port holding the %s addresses %s' % (role, ', '.join(addresses[role]))
        if missing:
            tried.append('ports: %s' % '; '.join(missing))
            return None
        return groups, [], evidence

    def _fixed_network_id(self, cluster):
        network = cluster.get('fixed_network')
        if not network:
            return None
        try:
            found = self._neutron.find_network(network, ignore_missing=True)
        except Exception:
            return None
        return found['id'] if found is not None else None

    def _ports_holding(self, cluster, addresses):
        """{address: port} for the cluster's addresses that a port holds.

        A floating IP leads to its port. A fixed IP can be on several networks (every Magnum cluster gets its own
        10.0.0.0/24): the cluster's fixed network decides, else the one network holding all of the cluster's
        fixed addresses, else the ports named after the cluster (Heat and Magnum name them after the stack).
        """
        network = self._neutron
        held, fixed = {}, {}
        for address in addresses:
            try:
                floating = [_record(ip) for ip in network.ips(floating_ip_address=address, **_owned_by(cluster))]
                port_ids = [ip.get('port_id') for ip in floating if ip.get('port_id')]
                if port_ids:
                    held[address] = _record(network.get_port(port_ids[0]))
                    continue
                found = [_record(port) for port in network.ports(fixed_ips='ip_address=%s' % address,
                                                                 **_owned_by(cluster))]
            except Exception as exc:
                raise translate(exc, 'find the port holding address %s' % address) from exc
            if found:
                fixed[address] = found
        network_id = self._fixed_network_id(cluster)
        if network_id is None and fixed:
            shared = set.intersection(*[set(p.get('network_id') for p in found) for found in fixed.values()])
            network_id = shared.pop() if len(shared) == 1 else None
        for address, found in fixed.items():
            if len(found) > 1 and network_id:
                # None of them on the cluster's network tells nothing: the names may still.
                found = [port for port in found if port.get('network_id') == network_id] or found
            if len(found) > 1 and cluster.get('name'):
                named = [port for port in found if cluster['name'] in (port.get('name') or '')]
                found = named or found
            if len(found) > 1:
                raise CoeError('Several ports hold address %s (%s) and none can be told to be the cluster\'s.'
                               % (address, ', '.join(sorted(port['id'] for port in found))))
            held[address] = found[0]
        return held

    @staticmethod
    def _common_groups(ports):
        """The IDs of the groups every port of a role carries."""
        sets = [set(port.get('security_group_ids') or port.get('security_groups') or []) for port in ports]
        return set.intersection(*sets) if sets else set()

    def _groups(self, group_ids, source):
        """{id: group} of these groups, read with one list request (Neutron takes the id filter repeated)."""
        wanted = sorted(set(group_ids))
        described = '%s %s (from %s)' % ('security group' if len(wanted) == 1 else 'security groups',
                                         ', '.join(wanted), source)
        try:
            found = answer_of(self._groups_ahead.pop(tuple(wanted), None))
            if found is None:
                found = call_with_retries(
                    lambda: [_record(group) for group in self._neutron.security_groups(id=wanted)])
        except Exception as exc:
            raise translate(exc, 'read %s' % described) from exc
        by_id = dict((group['id'], group) for group in found if group.get('id') in wanted)
        absent = [group_id for group_id in wanted if group_id not in by_id]
        if absent:
            raise CoeError('Cannot read %s: Neutron has no security group %s.' % (described, ', '.join(absent)))
        return by_id


class GroupRules:
    """The rules of a cluster's groups on Neutron: listed, added (a create whose answer was lost is looked for,
    never sent twice) and removed.

    cloud_call(action) is the module's context manager that turns client errors into messages naming the action.
    """

    def __init__(self, connection, cloud_call):
        self.neutron = NeutronApi(connection)
        self.cloud_call = cloud_call

    def of(self, group):
        records = group.get('security_group_rules')
        if records is None:
            with self.cloud_call('list the rules of security group %s' % group['id']):
                records = list(self.neutron.security_group_rules(security_group_id=group['id']))
        return [rule_from_neutron(record) for record in records]

    @staticmethod
    def predicted(group, rule):
        """The rule add() would create, as check mode shows it."""
        body = neutron_create_body(rule, group['id'])
        return rule_from_neutron(dict(body, id=None, ethertype=body['ether_type']))

    def add(self, group, rule):
        body = neutron_create_body(rule, group['id'])
        with self.cloud_call('add rule %s to security group %s' % (describe_rule(rule), group['id'])):
            created = send_confirmed(lambda: self.neutron.create_security_group_rule(**body),
                                     lambda: self._stored(group['id'], rule))
        return rule_from_neutron(created)

    def remove(self, group, rule):
        with self.cloud_call('remove rule %s from security group %s' % (rule['id'], group['id'])):
            self.neutron.delete_security_group_rule(rule['id'], ignore_missing=True)

    def _stored(self, group_id, rule):
        """The group's rule that is `rule` (a create whose answer was lost), else None."""
        for record in self.neutron.security_group_rules(security_group_id=group_id):
            if rule_key(rule_from_neutron(record)) == rule_key(rule):
                return record
        return None
