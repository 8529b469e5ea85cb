# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Extra ingress rules on a cluster's security groups: rule parsing, matching and planning."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError

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
# How Neutron may spell a protocol it stores, mapped to the names this module compares.
PROTOCOL_ALIASES = {
    '': None, 'any': None, '0': None,
    '1': 'icmp', 'icmp': 'icmp', '58': 'icmp', 'ipv6-icmp': 'icmp', 'icmpv6': 'icmp',
    '6': 'tcp', 'tcp': 'tcp', '17': 'udp', 'udp': 'udp',
}


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
