#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: magnum_cluster
short_description: Create, scale, upgrade and delete Magnum clusters
version_added: 0.1.0
description:
  - Ensures a Magnum cluster (Kubernetes, Swarm, ...) exists with the given fields, or does not exist, and waits
    for Magnum to finish.
  - The cluster is found by name or ID only, and the template is given by name or ID. A task never makes a
    second cluster of the same name, whatever the inputs, retries or lost responses.
  - Options left unset are not compared; a new cluster gets Magnum's defaults and the template's values for them.
  - I(node_count) changes in place with the resize action (Magnum API 1.7), or a patch of C(node_count) on older
    APIs. A different I(cluster_template) is applied with the upgrade action (API 1.8) when I(allow_upgrade=true).
  - Magnum cannot change the other fields of an existing cluster (I(master_count), flavors, I(keypair),
    I(labels), networks, ...). When they differ the task fails listing each field with its current and wanted
    value, unless I(recreate=true) asks for the cluster to be deleted and created again.
  - A cluster found in a C(*_FAILED) status makes the task fail with Magnum's reason, unless
    I(recreate_failed=true).
author:
  - coe.magnum contributors (@coe-magnum)
options:
  name:
    description:
      - Name of the cluster, or the ID of an existing one.
    type: str
    required: true
  state:
    description:
      - Whether the cluster should exist.
      - With C(absent) the task waits (when I(wait=true)) until Magnum no longer knows the cluster, and fails on
        C(DELETE_FAILED) with Magnum's reason.
    type: str
    choices: [present, absent]
    default: present
  cluster_template:
    description:
      - The cluster template, by name or ID. Required with I(state=present).
    type: str
    aliases: [cluster_template_id, template]
  master_count:
    description:
      - Number of master nodes. Magnum's default is 1.
    type: int
  node_count:
    description:
      - Number of worker nodes (of I(nodegroup), or of the default worker node group). Magnum's default is 1.
      - C(0) needs Magnum API 1.10.
    type: int
  nodegroup:
    description:
      - Node group that I(node_count) resizes, instead of the default worker group. Needs Magnum API 1.9.
    type: str
  nodes_to_remove:
    description:
      - Servers (names or IDs) to remove first when I(node_count) shrinks the cluster. Needs Magnum API 1.7.
    type: list
    elements: str
  flavor:
    description:
      - Nova flavor of the worker nodes, by name or ID. Defaults to the template's.
    type: str
    aliases: [flavor_id]
  master_flavor:
    description:
      - Nova flavor of the master nodes, by name or ID. Defaults to the template's.
    type: str
    aliases: [master_flavor_id]
  keypair:
    description:
      - Nova keypair for the nodes. Defaults to the template's.
    type: str
    aliases: [keypair_id]
  labels:
    description:
      - Labels (driver parameters) of the cluster. Values of any type are sent and compared as Magnum stores
        them, as strings; booleans become C(true)/C(false).
      - When unset (or empty), the cluster gets the template's labels, as Magnum does.
    type: dict
  merge_labels:
    description:
      - Whether I(labels) are added to the template's labels rather than replacing them.
      - With C(true) only the labels given are compared with an existing cluster's.
    type: bool
    default: false
  docker_volume_size:
    description:
      - Size in GB of the container storage volume of each node. Defaults to the template's.
    type: int
  fixed_network:
    description:
      - Existing private network, by name or ID. Defaults to the template's.
    type: str
  fixed_subnet:
    description:
      - Existing subnet of I(fixed_network), by name or ID. Defaults to the template's.
    type: str
  floating_ip_enabled:
    description:
      - Whether the nodes get floating IPs. Defaults to the template's.
    type: bool
  master_lb_enabled:
    description:
      - Whether a load balancer is put in front of the masters. Defaults to the template's.
    type: bool
  discovery_url:
    description:
      - Discovery URL of the cluster's etcd (Magnum makes one when unset).
    type: str
  create_timeout:
    description:
      - How long Magnum itself lets the create take, in B(minutes) (Magnum's unit; its default is 60).
      - Read at create time only, never compared. I(timeout) is how long this task waits, in seconds.
    type: int
  allow_upgrade:
    description:
      - Whether a different I(cluster_template) is applied to an existing cluster with Magnum's upgrade action.
      - With C(false) such a difference fails the task (or, with I(recreate=true), recreates the cluster).
    type: bool
    default: false
  max_batch_size:
    description:
      - How many nodes the upgrade action replaces at a time.
    type: int
  recreate:
    description:
      - Whether to delete and create the cluster again when it differs in fields Magnum cannot change in place.
      - The cluster and everything on it is lost.
    type: bool
    default: false
  recreate_failed:
    description:
      - Whether to delete and create the cluster again when it is found in a C(*_FAILED) status.
    type: bool
    default: false
notes:
  - Polling starts every 2 seconds and backs off to every 10 seconds, so a long create costs few requests and
    the task returns within seconds of Magnum reporting C(*_COMPLETE).
  - Magnum answers a create before it has stored the cluster; a create whose response is lost is looked up by
    name before it is ever sent again.
  - With I(wait=false) the task still waits where the next step needs it, for example for the old cluster to be
    gone before a recreate, or for an upgrade to end before a resize.
extends_documentation_fragment:
  - coe.magnum.openstack
  - coe.magnum.wait
  - coe.magnum.attributes
  - coe.magnum.attributes.ACTION_GROUP
'''

EXAMPLES = r'''
- name: The cluster of the classic Magnum guide, waited for
  coe.magnum.magnum_cluster:
    cloud: mycloud
    name: k8s-cluster
    cluster_template: k8s
    master_count: 1
    node_count: 1

- name: Scale the workers to three (the resize action; a patch on old clouds)
  coe.magnum.magnum_cluster:
    name: k8s-cluster
    cluster_template: k8s
    node_count: 3

- name: Shrink, removing a given server first
  coe.magnum.magnum_cluster:
    name: k8s-cluster
    cluster_template: k8s
    node_count: 2
    nodes_to_remove: [k8s-cluster-abc123-node-2]

- name: Move the cluster to a newer template with the upgrade action
  coe.magnum.magnum_cluster:
    name: k8s-cluster
    cluster_template: k8s-v1.30
    allow_upgrade: true
    max_batch_size: 1

- name: Labels on top of the template's, a longer create allowance, and no waiting
  coe.magnum.magnum_cluster:
    name: k8s-big
    cluster_template: k8s
    node_count: 5
    labels:
      cinder_csi_enabled: true
      boot_volume_size: 20
    merge_labels: true
    create_timeout: 120
    wait: false

- name: Replace a cluster whose create failed
  coe.magnum.magnum_cluster:
    name: k8s-cluster
    cluster_template: k8s
    recreate_failed: true

- name: Delete the cluster and wait until it is gone
  coe.magnum.magnum_cluster:
    name: k8s-cluster
    state: absent
'''

RETURN = r'''
cluster:
  description:
    - The cluster as Magnum describes it after the task (the prediction in check mode). Fields the cloud's API
      version lacks are absent.
  returned: when I(state=present)
  type: dict
  contains:
    uuid:
      description: ID of the cluster.
      type: str
    name:
      description: Name of the cluster.
      type: str
    status:
      description: Magnum's status, for example C(CREATE_COMPLETE).
      type: str
    status_reason:
      description: Magnum's reason for the status.
      type: str
    health_status:
      description: Health reported by the cluster, for example C(HEALTHY).
      type: str
    cluster_template_id:
      description: ID of the template.
      type: str
    master_count:
      description: Number of masters.
      type: int
    node_count:
      description: Number of workers, all worker node groups together.
      type: int
    api_address:
      description: URL of the cluster's API.
      type: str
    coe_version:
      description: Version of the orchestration engine, for example the Kubernetes version.
      type: str
    master_addresses:
      description: Addresses of the masters.
      type: list
      elements: str
    node_addresses:
      description: Addresses of the workers.
      type: list
      elements: str
    stack_id:
      description: ID of the Heat stack (or the driver's own cluster ID).
      type: str
    labels:
      description: Labels of the cluster.
      type: dict
    faults:
      description: Node group faults of a failed cluster.
      type: dict
  sample:
    uuid: 3a4f28a6-9c1e-4d0e-a1a4-6a5e0b9f1c2d
    name: k8s-cluster
    status: CREATE_COMPLETE
    health_status: HEALTHY
    cluster_template_id: 0f3c7c54-5bd4-4fb4-b6b8-d0d4e4a4e3a4
    master_count: 1
    node_count: 1
    api_address: https://10.0.0.5:6443
    coe_version: v1.30.4
    labels: {kube_tag: v1.30.4}
id:
  description: ID of the cluster.
  returned: when the cluster exists, existed, or was created
  type: str
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [delete, create]
status_history:
  description: Every status seen while waiting, with the phase and the seconds since the first poll.
  returned: always
  type: list
  elements: dict
  sample:
    - {phase: create, status: CREATE_IN_PROGRESS, after_seconds: 0.0}
    - {phase: create, status: CREATE_COMPLETE, after_seconds: 14.8}
'''

from ansible_collections.coe.magnum.plugins.module_utils.base import MagnumModule
from ansible_collections.coe.magnum.plugins.module_utils.cluster import DesiredCluster
from ansible_collections.coe.magnum.plugins.module_utils.cluster_actions import ClusterActions


class ClusterModule(MagnumModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        cluster_template=dict(type='str', aliases=['cluster_template_id', 'template']),
        master_count=dict(type='int'),
        node_count=dict(type='int'),
        nodegroup=dict(type='str'),
        nodes_to_remove=dict(type='list', elements='str'),
        flavor=dict(type='str', aliases=['flavor_id']),
        master_flavor=dict(type='str', aliases=['master_flavor_id']),
        keypair=dict(type='str', aliases=['keypair_id'], no_log=False),
        labels=dict(type='dict'),
        merge_labels=dict(type='bool', default=False),
        docker_volume_size=dict(type='int'),
        fixed_network=dict(type='str'),
        fixed_subnet=dict(type='str'),
        floating_ip_enabled=dict(type='bool'),
        master_lb_enabled=dict(type='bool'),
        discovery_url=dict(type='str'),
        create_timeout=dict(type='int'),
        allow_upgrade=dict(type='bool', default=False),
        max_batch_size=dict(type='int'),
        recreate=dict(type='bool', default=False),
        recreate_failed=dict(type='bool', default=False),
        wait=dict(type='bool', default=True),
        timeout=dict(type='int', default=3600),
    )
    module_kwargs = dict(required_if=[('state', 'present', ['cluster_template'])])
    cluster_name_options = ('name',)
    resource_name_options = ('cluster_template', 'nodegroup')

    def run(self):
        desired = DesiredCluster.from_params(self.params)
        actions = ClusterActions(self.magnum, self.resolver, self.cloud_call, check_mode=self.check_mode,
                                 wait=self.params['wait'], timeout=self.params['timeout'])
        if self.params['state'] == 'absent':
            return actions.ensure_absent(desired.name)
        return actions.ensure_present(desired, allow_upgrade=self.params['allow_upgrade'],
                                      recreate=self.params['recreate'],
                                      recreate_failed=self.params['recreate_failed'])


def main():
    ClusterModule().execute()


if __name__ == '__main__':
    main()
