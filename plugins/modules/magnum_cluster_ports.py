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
    C(k8s-cluster-<namespace>-<stack_id>-secgroup-worker) of the Cluster API drivers, in a namespace of the
    cluster's project and only when a port on the cluster's Cluster API network carries them (or they bear
    Cluster API Provider OpenStack's description before the role has a machine), as RV(lookup_evidence)
    reports; else the Neutron ports
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
lookup_evidence:
  description:
    - Per role (C(master), C(worker)), the cluster's own records that tie the group to the cluster. Cluster API
      groups are never taken by their name alone; the name must hold the cluster's stack_id in a namespace of the
      cluster's project, and a port on the cluster's Cluster API network must carry the group (or, before a
      machine of the role has a port, the group must bear Cluster API Provider OpenStack's description
      C(Cluster API managed group)).
  returned: success
  type: dict
  sample:
    master: "k8s-cluster-magnum-0d4c4a1f-k8s-x7kq2m-secgroup-controlplane: named after stack_id k8s-x7kq2m;
      carried by port k8s-x7kq2m-control-plane-7fz2k-0 on network k8s-clusterapi-cluster-magnum-0d4c4a1f-k8s-x7kq2m"
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

from ansible_collections.coe.magnum.plugins.module_utils.openstack_base import MagnumModule
from ansible_collections.coe.magnum.plugins.module_utils.cluster_ports import ClusterPorts


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
        return ClusterPorts(self.connection, self.resolver, self.cloud_call, self.warn, self.params,
                            check_mode=self.check_mode, diff=self.module._diff).run()


def main():
    ClusterPortsModule().execute()


if __name__ == '__main__':
    main()
