# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Extra ingress rules on a cluster's security groups: rule parsing, matching, planning, and finding the groups."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, http_status_of, translate
from ansible_collections.coe.magnum.plugins.module_utils.heat import HeatStacks
from ansible_collections.coe.magnum.plugins.module_utils.retry import call_with_retries

# Every rule this collection creates carries this mark at the start of its description; only such rules are
# ever removed, so Magnum's own rules and rules added by hand are never touched.
MANAGED_MARK = 'coe.magnum'
MANAGED_SEPARATOR = ': '
# Neutron limits a rule description to 255 characters.
DESCRIPTION_LIMIT = 255 - len(MANAGED_MARK + MANAGED_SEPARATOR)

PROTOCOLS = ('tcp', 'udp', 'icmp', 'any')
# etcd client and peer, the kubelet API, and the insecure API ports of old Kubernetes and Swarm masters.
SENSITIVE_PORTS = (2379, 2380, 7080, 8080, 10250)
ANY_ADDRESS = {'IPv4': '0.0.0.0/0', 'IPv6': '::/0'}
ROLES = ('master', 'worker')

# How Neutron may spell a protocol it stores, mapped to the names this module compares.
PROTOCOL_ALIASES = {
    '': None, 'any': None, '0': None,
    '1': 'icmp', 'icmp': 'icmp', '58': 'icmp', 'ipv6-icmp': 'icmp', 'icmpv6': 'icmp',
    '6': 'tcp', 'tcp': 'tcp', '17': 'udp', 'udp': 'udp',
}

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
# Rule specifications
# ---------------------------------------------------------------------------------------------------------------

def parse_port_range(value):
    """80, '80', '8000-8100' -> (min, max); raises ValueError with a reason a person can act on."""
    if isinstance(value, bool):
        raise ValueError('%r is not a port' % value)
    if isinstance(value, int):
        low = high = value
    else:
        text = str(value).strip()
        match = re.match(r'^(\d+)\s*(?:-\s*(\d+))?$', text)
        if not match:
            raise ValueError('%r is neither a port (80) nor a range (8000-8100)' % value)
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) is not None else low
    for port in (low, high):
        if not 1 <= port <= 65535:
            raise ValueError('%s is outside 1-65535' % port)
    if low > high:
        raise ValueError('the range %s-%s starts above its end' % (low, high))
    return low, high


def normalise_cidr(value):
    """'10.0.0.5/24' -> ('10.0.0.0/24', 'IPv4'); a bare address is a /32 or /128."""
    try:
        network = ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        raise ValueError('%r is not an IPv4 or IPv6 CIDR (for example 192.0.2.0/24 or 2001:db8::/64)' % value) from None
    return str(network), 'IPv%d' % network.version


def canonical_protocol(value):
    """The protocol name used for comparison: tcp, udp, icmp (both families), None for any, else as stored."""
    if value is None:
        return None
    text = str(value).strip().lower()
    return PROTOCOL_ALIASES.get(text, text)


def canonical_ports(protocol, low, high):
    """tcp/udp over every port is the same rule as tcp/udp without ports."""
    if protocol in ('tcp', 'udp') and (low, high) in ((1, 65535), (None, 65535), (1, None)):
        return None, None
    return low, high


def managed_description(description):
    if description:
        return MANAGED_MARK + MANAGED_SEPARATOR + description
    return MANAGED_MARK


def is_managed(description):
    description = description or ''
    return description == MANAGED_MARK or description.startswith(MANAGED_MARK + MANAGED_SEPARATOR)


def parse_rule(spec, index):
    """One wanted rule from the module's `rules[index]`; returns (rule, errors) where errors name index and field.

    The rule's `remote_group` stays a name or ID here: resolving it needs the cloud.
    """
    where = 'rules[%d]' % index
    errors = []
    spec = spec or {}
    protocol = spec.get('protocol') or 'tcp'
    protocol = str(protocol).strip().lower()
    if protocol not in PROTOCOLS:
        errors.append('%s.protocol: %r is not one of %s' % (where, spec.get('protocol'), ', '.join(PROTOCOLS)))
        protocol = None

    low = high = None
    port = spec.get('port')
    if port is not None and str(port).strip() != '':
        if protocol in ('icmp', 'any'):
            errors.append('%s.port: ports apply only to tcp and udp rules, not to %s' % (where, protocol))
        else:
            try:
                low, high = parse_port_range(port)
            except ValueError as exc:
                errors.append('%s.port: %s' % (where, exc))
    elif protocol in ('tcp', 'udp'):
        errors.append('%s.port: a %s rule needs a port or a range (80, "8000-8100"; "1-65535" for every port)'
                      % (where, protocol))

    prefix = spec.get('remote_ip_prefix')
    group = spec.get('remote_group')
    ethertype = spec.get('ethertype')
    if ethertype is not None and ethertype not in ANY_ADDRESS:
        errors.append('%s.ethertype: %r is neither IPv4 nor IPv6' % (where, ethertype))
        ethertype = None
    cidr = None
    if prefix and group:
        errors.append('%s: give remote_ip_prefix or remote_group, not both' % where)
    elif prefix:
        try:
            cidr, family = normalise_cidr(prefix)
        except ValueError as exc:
            errors.append('%s.remote_ip_prefix: %s' % (where, exc))
        else:
            if ethertype and ethertype != family:
                errors.append('%s.ethertype: %s does not match remote_ip_prefix %s (an %s network)'
                              % (where, ethertype, prefix, family))
            ethertype = family
    elif not group:
        errors.append('%s: give remote_ip_prefix (for example 0.0.0.0/0 for any address) or remote_group'
                      % where)

    description = spec.get('description') or ''
    if len(description) > DESCRIPTION_LIMIT:
        errors.append('%s.description: longer than %d characters' % (where, DESCRIPTION_LIMIT))

    if errors:
        return None, errors
    if protocol == 'icmp' and ethertype == 'IPv6':
        wire_protocol = 'ipv6-icmp'
    else:
        wire_protocol = None if protocol == 'any' else protocol
    low, high = canonical_ports(protocol, low, high)
    return {
        'index': index,
        'direction': 'ingress',
        'ethertype': ethertype or 'IPv4',
        'protocol': wire_protocol,
        'port_range_min': low,
        'port_range_max': high,
        'remote_ip_prefix': cidr,
        'remote_group': group or None,
        'remote_group_id': None,
        'description': description,
    }, []


def parse_rules(specs):
    """All wanted rules, or a CoeError listing every bad field (before anything reaches the cloud)."""
    rules, errors = [], []
    for index, spec in enumerate(specs or []):
        rule, rule_errors = parse_rule(spec, index)
        errors.extend(rule_errors)
        if rule:
            rules.append(rule)
    if errors:
        raise CoeError('Invalid `rules`: %s.' % '; '.join(errors), parameter='rules', errors=errors)
    return rules


def rule_key(rule):
    """What makes two ingress rules the same rule (the description is a label, not part of the rule)."""
    protocol = canonical_protocol(rule.get('protocol'))
    ethertype = rule.get('ethertype') or 'IPv4'
    low, high = canonical_ports(protocol, rule.get('port_range_min'), rule.get('port_range_max'))
    remote_group = rule.get('remote_group_id')
    prefix = rule.get('remote_ip_prefix')
    if prefix:
        prefix = normalise_cidr(prefix)[0]
    elif not remote_group:
        # Neutron reads a rule with no remote at all as "any address of the rule's family".
        prefix = ANY_ADDRESS.get(ethertype)
    return (rule.get('direction') or 'ingress', ethertype, protocol, low, high, prefix, remote_group)


def rule_from_neutron(record):
    """A Neutron security group rule (dict or openstacksdk resource) in this module's shape."""
    if not isinstance(record, dict):
        record = record.to_dict(computed=False) if hasattr(record, 'to_dict') else dict(record)
    return {
        'id': record.get('id'),
        'direction': record.get('direction'),
        'ethertype': record.get('ethertype') or record.get('ether_type'),
        'protocol': record.get('protocol'),
        'port_range_min': record.get('port_range_min'),
        'port_range_max': record.get('port_range_max'),
        'remote_ip_prefix': record.get('remote_ip_prefix'),
        'remote_group_id': record.get('remote_group_id'),
        'description': record.get('description') or '',
        'managed': is_managed(record.get('description')),
    }


def describe_rule(rule):
    """'ingress IPv4 tcp 80 from 0.0.0.0/0' -- one line a person reads in a diff or a warning."""
    protocol = canonical_protocol(rule.get('protocol')) or 'any'
    low, high = rule.get('port_range_min'), rule.get('port_range_max')
    if protocol in ('tcp', 'udp'):
        low, high = canonical_ports(protocol, low, high)
        ports = ' all ports' if low is None else (' %s' % low if low == high else ' %s-%s' % (low, high))
    elif low is not None:
        ports = ' type %s' % low + ('' if high is None else ' code %s' % high)
    else:
        ports = ''
    if rule.get('remote_group_id'):
        remote = 'group %s' % rule['remote_group_id']
    else:
        remote = rule.get('remote_ip_prefix') or ANY_ADDRESS.get(rule.get('ethertype') or 'IPv4')
    text = '%s %s %s%s from %s' % (
        rule.get('direction') or 'ingress', rule.get('ethertype') or 'IPv4', protocol, ports, remote)
    if rule.get('description'):
        text += ' (%s)' % rule['description']
    return text


def exposure_warnings(rules):
    """Warnings for rules that open a port Magnum keeps internal to every address."""
    warnings = []
    for rule in rules:
        if rule.get('remote_ip_prefix') not in ANY_ADDRESS.values():
            continue
        protocol = canonical_protocol(rule.get('protocol'))
        if protocol not in ('tcp', None):
            continue
        low, high = rule.get('port_range_min'), rule.get('port_range_max')
        exposed = [port for port in SENSITIVE_PORTS
                   if low is None or (low <= port <= (high if high is not None else low))]
        if exposed:
            warnings.append(
                'rules[%d] opens %s to %s, which includes %s: ports Magnum keeps inside the cluster '
                '(etcd, the kubelet and insecure API ports). Restrict remote_ip_prefix unless this is intended.'
                % (rule['index'], 'port %s' % low if low is not None and low == high else
                   'ports %s-%s' % (low, high) if low is not None else 'every port', rule['remote_ip_prefix'],
                   ', '.join(str(port) for port in exposed)))
    return warnings


def neutron_create_body(rule, group_id):
    """Keyword arguments for openstacksdk create_security_group_rule()."""
    body = {
        'security_group_id': group_id,
        'direction': rule['direction'],
        'ether_type': rule['ethertype'],
        'description': managed_description(rule.get('description')),
    }
    for field in ('protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix', 'remote_group_id'):
        if rule.get(field) is not None:
            body[field] = rule[field]
    return body


def plan_group(wanted, existing, state, exclusive):
    """What to add and remove on one group.

    wanted: parsed rules (remote groups resolved); existing: the group's rules (rule_from_neutron shape).
    Returns dict(add=[wanted rules], remove=[existing rules], unmanaged=[(wanted, existing)]) where unmanaged
    lists wanted rules that exist but were not added by this collection (state=absent leaves them alone).
    """
    existing_by_key = {}
    for rule in existing:
        existing_by_key.setdefault(rule_key(rule), []).append(rule)
    wanted_keys = set()
    add, remove, unmanaged = [], [], []
    for rule in wanted:
        key = rule_key(rule)
        if key in wanted_keys:
            continue
        wanted_keys.add(key)
        matches = existing_by_key.get(key, [])
        if state == 'present':
            if not matches:
                add.append(rule)
        else:
            for match in matches:
                if match['managed']:
                    remove.append(match)
                else:
                    unmanaged.append((rule, match))
    if state == 'present' and exclusive:
        for rule in existing:
            if rule['managed'] and rule_key(rule) not in wanted_keys:
                remove.append(rule)
    return {'add': add, 'remove': remove, 'unmanaged': unmanaged}


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
        self._heat = heat if heat is not None else HeatStacks(connection)

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
        by_id = self._groups([group_id for role in roles for group_id in ids[role]], 'Heat stack %s' % stack_id)
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
                _record(group) for group in self._connection.network.security_groups(**_owned_by(cluster))])
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
                ports = call_with_retries(lambda: [_record(port) for port in self._connection.network.ports(
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
            found = self._connection.network.find_network(name_or_id, ignore_missing=True)
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
            found = self._connection.network.find_network(network, ignore_missing=True)
        except Exception:
            return None
        return found.id if found is not None else None

    def _ports_holding(self, cluster, addresses):
        """{address: port} for the cluster's addresses that a port holds.

        A floating IP leads to its port. A fixed IP can be on several networks (every Magnum cluster gets its own
        10.0.0.0/24): the cluster's fixed network decides, else the one network holding all of the cluster's
        fixed addresses, else the ports named after the cluster (Heat and Magnum name them after the stack).
        """
        network = self._connection.network
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
            found = call_with_retries(
                lambda: [_record(group) for group in self._connection.network.security_groups(id=wanted)])
        except Exception as exc:
            raise translate(exc, 'read %s' % described) from exc
        by_id = dict((group['id'], group) for group in found if group.get('id') in wanted)
        absent = [group_id for group_id in wanted if group_id not in by_id]
        if absent:
            raise CoeError('Cannot read %s: Neutron has no security group %s.' % (described, ', '.join(absent)))
        return by_id
