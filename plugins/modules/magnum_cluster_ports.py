#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: magnum_cluster_ports
short_description: Open extra ports on the security groups of a Magnum cluster
version_added: 0.1.0
description:
  - Magnum opens only the ports a cluster needs (for Kubernetes 22, 6443 and the node ports 30000-32767).
    This module ensures extra ingress rules on the cluster's master and/or worker security groups, found from
    the cluster's name or ID.
  - The groups are found the way the cloud built them, and RV(lookup) tells which way was used. First the
    Heat stack of the cluster (resources C(secgroup_kube_master) and C(secgroup_kube_minion) of Magnum's Heat
    drivers, C(secgroup_swarm_manager) and C(secgroup_swarm_node) for Swarm); then the Cluster API group
    names C(k8s-cluster-<namespace>-<stack_id>-secgroup-controlplane) and
    C(k8s-cluster-<namespace>-<stack_id>-secgroup-worker) of the Cluster API drivers; else the Neutron ports
    that hold the cluster's master and node addresses (fixed or floating IPs), without the project's
    C(default) group.
  - Every rule this module creates carries C(coe.magnum) at the start of its description. Only such rules are
    ever removed (O(state=absent), O(exclusive=true)); Magnum's own rules and rules added by other means are
    never touched.
  - All O(rules) are checked before any request that changes the cloud; a bad rule fails the task naming its
    index and field.
author:
  - coe.magnum contributors (@coe-magnum)
options:
  cluster:
    description:
      - Name or ID of the cluster.
    type: str
    required: true
  role:
    description:
      - Which nodes' groups to change.
      - V(master) the control plane, V(worker) the worker nodes (minions), V(all) both.
    type: str
    choices: [master, worker, all]
    default: all
  rules:
    description:
      - The ingress rules.
      - A rule is the same as an existing one when direction, ethertype, protocol, port range and remote are
        the same (V(80) is V(80-80); the description is only a label).
    type: list
    elements: dict
    default: []
    suboptions:
      protocol:
        description:
          - One of V(tcp), V(udp), V(icmp) or V(any) (every protocol).
        type: str
        default: tcp
      port:
        description:
          - A port (V(80)) or a range (V(8000-8100)), between 1 and 65535.
          - Required for V(tcp) and V(udp) (V(1-65535) opens every port); not allowed for V(icmp) and V(any).
        type: raw
      remote_ip_prefix:
        description:
          - The addresses allowed in, as an IPv4 or IPv6 CIDR (V(0.0.0.0/0) for every IPv4 address). The
            ethertype follows the address family.
          - A warning is given when V(0.0.0.0/0) or V(::/0) is opened on a port Magnum keeps inside the
            cluster (2379, 2380, 7080, 8080, 10250).
          - Give this or O(rules[].remote_group), not both.
        type: str
      remote_group:
        description:
          - Name or ID of a security group whose members are allowed in.
        type: str
      ethertype:
        description:
          - V(IPv4) or V(IPv6). Needed only with O(rules[].remote_group) for IPv6; with
            O(rules[].remote_ip_prefix) it follows the address family.
        type: str
      description:
        description:
          - A description of the rule, stored after the C(coe.magnum) mark.
        type: str
  state:
    description:
      - V(present) ensures the rules exist; V(absent) removes those of the listed rules this module created.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With O(state=present), also remove the rules this module created earlier on the same groups that are
        no longer listed. Rules not created by this module are kept.
    type: bool
    default: false
seealso:
  - module: coe.magnum.magnum_cluster
    description: The cluster whose security groups are changed.
extends_documentation_fragment:
  - coe.magnum.openstack
  - coe.magnum.openstack.IGNORED_WAIT
  - coe.magnum.attributes
  - coe.magnum.attributes.ACTION_GROUP
notes:
  - On clusters of the Cluster API drivers the groups belong to Cluster API Provider OpenStack, which
    reconciles their rules to its own list and may remove rules added here later; a warning says so.
    The port-based lookup changes the groups on the nodes' ports, which is what Neutron enforces.
'''

EXAMPLES = r'''
- name: Open HTTP and HTTPS on the workers to everyone
  coe.magnum.magnum_cluster_ports:
    cluster: k8s-cluster
    role: worker
    rules:
      - port: 80
        remote_ip_prefix: 0.0.0.0/0
        description: http ingress
      - port: 443
        remote_ip_prefix: 0.0.0.0/0
        description: https ingress

- name: Prometheus on the masters from the office, a UDP range and ping from the cluster network
  coe.magnum.magnum_cluster_ports:
    cluster: k8s-cluster
    role: master
    rules:
      - port: 9090
        remote_ip_prefix: 192.0.2.0/24
      - protocol: udp
        port: 8000-8100
        remote_ip_prefix: 10.0.0.0/24
      - protocol: icmp
        remote_ip_prefix: 10.0.0.0/24

- name: Keep exactly these extra rules (rules added earlier and dropped from the list are removed)
  coe.magnum.magnum_cluster_ports:
    cluster: k8s-cluster
    exclusive: true
    rules:
      - port: 443
        remote_ip_prefix: 0.0.0.0/0

- name: Close port 80 again
  coe.magnum.magnum_cluster_ports:
    cluster: k8s-cluster
    role: worker
    state: absent
    rules:
      - port: 80
        remote_ip_prefix: 0.0.0.0/0
'''

RETURN = r'''
cluster:
  description: The cluster whose groups were examined.
  returned: success
  type: dict
  contains:
    name:
      description: Name of the cluster.
      type: str
    uuid:
      description: ID of the cluster.
      type: str
lookup:
  description: How the groups were found.
  returned: success
  type: str
  sample: heat
  choices: [heat, cluster_api, ports]
lookup_tried:
  description: The ways tried before the one in RV(lookup), each with the reason it did not apply.
  returned: success
  type: list
  elements: str
  sample: ["heat: no stack 2c5f8a8e-0d7e-4c39-a1b3-6f1f3d6a9b11"]
groups:
  description: Each security group changed or examined, with its rules after the change (predicted in check mode).
  returned: success
  type: list
  elements: dict
  contains:
    role:
      description: V(master), V(worker), or V(all) for a group both carry.
      type: str
    id:
      description: ID of the security group.
      type: str
    name:
      description: Name of the security group.
      type: str
    rules:
      description: Every rule of the group after the change, Magnum's included.
      type: list
      elements: dict
      sample:
        - id: 4b0c8f0e-58b1-4c43-9f3b-7e6a55f4a1a2
          direction: ingress
          ethertype: IPv4
          protocol: tcp
          port_range_min: 80
          port_range_max: 80
          remote_ip_prefix: 0.0.0.0/0
          remote_group_id: null
          description: "coe.magnum: http ingress"
          managed: true
    added:
      description: The rules added (in check mode, that would be added, with a null C(id)).
      type: list
      elements: dict
    removed:
      description: The rules removed (in check mode, that would be removed).
      type: list
      elements: dict
'''

from ansible_collections.coe.magnum.plugins.module_utils.base import MagnumModule
from ansible_collections.coe.magnum.plugins.module_utils.retry import send_confirmed
from ansible_collections.coe.magnum.plugins.module_utils.security_groups import (
    ROLES,
    GroupFinder,
    describe_rule,
    exposure_warnings,
    neutron_create_body,
    parse_rules,
    plan_group,
    rule_from_neutron,
    rule_key,
)

RULE_FIELDS = ('id', 'direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix',
               'remote_group_id', 'description', 'managed')


class ClusterPortsModule(MagnumModule):
    argument_spec = dict(
        cluster=dict(type='str', required=True),
        role=dict(type='str', default='all', choices=['master', 'worker', 'all']),
        rules=dict(type='list', elements='dict', default=[], options=dict(
            protocol=dict(type='str', default='tcp'),
            port=dict(type='raw'),
            remote_ip_prefix=dict(type='str'),
            remote_group=dict(type='str'),
            ethertype=dict(type='str'),
            description=dict(type='str'),
        )),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        exclusive=dict(type='bool', default=False),
    )
    cluster_name_options = ('cluster',)

    def run(self):
        # Every rule is checked before the first request, so a typo never leaves a half-applied change.
        rules = parse_rules(self.params['rules'])
        roles = ROLES if self.params['role'] == 'all' else (self.params['role'],)
        state, exclusive = self.params['state'], self.params['exclusive']

        cluster = self.resolver.magnum_require('cluster', self.params['cluster'], 'cluster')
        for rule in rules:
            if rule['remote_group']:
                where = 'rules[%d].remote_group' % rule['index']
                with self.cloud_call('look up security group %r (parameter `%s`)' % (rule['remote_group'], where)):
                    rule['remote_group_id'] = self.resolver.find('security_group', rule['remote_group'], where)['id']
        with self.cloud_call('find the security groups of cluster %r' % cluster.get('name')):
            lookup = GroupFinder(self.connection).find(cluster, roles)

        if state == 'present':
            for warning in exposure_warnings(rules):
                self.warn(warning)
        for note in lookup.notes:
            self.warn(note)

        groups = self._groups_by_id(lookup.groups)
        results, before, after, changed = [], {}, {}, False
        for group, role in groups:
            existing = self._rules_of(group)
            plan = plan_group(rules, existing, state, exclusive)
            for wanted, found in plan['unmanaged']:
                self.warn('rules[%d] (%s) exists on security group %s but was not added by coe.magnum: left in '
                          'place.' % (wanted['index'], describe_rule(found), group.get('name') or group['id']))
            added, removed = self._apply(group, plan)
            changed = changed or bool(added or removed)
            removed_ids = set(rule['id'] for rule in removed)
            final = [rule for rule in existing if rule['id'] not in removed_ids] + added
            label = '%s: %s (%s)' % (role, group.get('name'), group['id'])
            before[label] = sorted(describe_rule(rule) for rule in existing)
            after[label] = sorted(describe_rule(rule) for rule in final)
            results.append({
                'role': role,
                'id': group['id'],
                'name': group.get('name'),
                'rules': [self._public(rule) for rule in final],
                'added': [self._public(rule) for rule in added],
                'removed': [self._public(rule) for rule in removed],
            })

        result = {
            'changed': changed,
            'cluster': {'name': cluster.get('name'), 'uuid': cluster.get('uuid')},
            'lookup': lookup.way,
            'lookup_tried': lookup.tried,
            'groups': results,
        }
        if self.module._diff:
            result['diff'] = {'before': before, 'after': after}
        return result

    @staticmethod
    def _groups_by_id(groups_per_role):
        """[(group, role)] with a group both roles carry listed once, as role `all`."""
        ordered, roles_of = [], {}
        for role in ROLES:
            for group in groups_per_role.get(role, []):
                if group['id'] not in roles_of:
                    ordered.append(group)
                roles_of.setdefault(group['id'], []).append(role)
        return [(group, roles_of[group['id']][0] if len(roles_of[group['id']]) == 1 else 'all')
                for group in ordered]

    def _rules_of(self, group):
        records = group.get('security_group_rules')
        if records is None:
            with self.cloud_call('list the rules of security group %s' % group['id']):
                records = list(self.connection.network.security_group_rules(security_group_id=group['id']))
        return [rule_from_neutron(record) for record in records]

    def _stored(self, group_id, rule):
        """The group's rule that is `rule` (a create whose answer was lost), else None."""
        for record in self.connection.network.security_group_rules(security_group_id=group_id):
            if rule_key(rule_from_neutron(record)) == rule_key(rule):
                return record
        return None

    def _apply(self, group, plan):
        """Add then remove (a replaced rule is never missing in between); in check mode, only predict."""
        added, removed = [], []
        for rule in plan['add']:
            body = neutron_create_body(rule, group['id'])
            if self.check_mode:
                predicted = dict(body, id=None, ethertype=body['ether_type'])
                added.append(rule_from_neutron(predicted))
                continue
            with self.cloud_call('add rule %s to security group %s' % (describe_rule(rule), group['id'])):
                created = send_confirmed(lambda body=body: self.connection.network.create_security_group_rule(**body),
                                         lambda rule=rule: self._stored(group['id'], rule))
            added.append(rule_from_neutron(created))
        for rule in plan['remove']:
            if not self.check_mode:
                with self.cloud_call('remove rule %s from security group %s' % (rule['id'], group['id'])):
                    self.connection.network.delete_security_group_rule(rule['id'], ignore_missing=True)
            removed.append(rule)
        return added, removed

    @staticmethod
    def _public(rule):
        return dict((field, rule.get(field)) for field in RULE_FIELDS)


def main():
    ClusterPortsModule().execute()


if __name__ == '__main__':
    main()
