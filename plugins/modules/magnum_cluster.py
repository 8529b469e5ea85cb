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
  - The cluster is found by name or ID only, and the template is given by name or ID. I(name) must be a name
    Magnum accepts (C(^[a-zA-Z][a-zA-Z0-9_.-]*$), at most 242 characters) or a cluster UUID; any other is refused
    before any request.
  - Exactly once. A create request is sent at most once per task. When its outcome is unknown (the answer lost,
    the connection cut, a 5xx from Magnum or anything in front of it, a timeout), Magnum's conductor may still
    write the cluster, seconds or minutes later, so the task never sends it again. It waits for the cluster by
    name for as long as it waits (I(timeout); with I(wait=false), 60 seconds), then fails saying the create may
    still be queued. A create Magnum accepted is waited for by its ID, however late the row appears.
  - Across runs on the same controller, a journal of creates in flight (one 0600 file per create in
    C(~/.cache/coe.magnum), or the directory C(COE_MAGNUM_AUTH_CACHE) names; C(COE_MAGNUM_CREATE_JOURNAL) names
    another directory or, set to C(off), turns it off) makes a later run wait for such a create instead of sending
    another, until the create timeout (I(create_timeout), else Magnum's 60 minutes) has passed.
  - The limit. A controller without that journal (a fresh execution environment, another AWX job pod, the
    journal turned off or deleted) cannot know about a create whose answer was lost until Magnum's conductor has
    written the cluster. A run there while the conductor is still holding the create (its queue backed up, the
    service paused or restarting) sends another, and Magnum then has two clusters of that name. Check with
    C(openstack coe cluster list) before re-running such a job elsewhere.
  - Options left unset are not compared; a new cluster gets Magnum's defaults and the template's values for them.
  - O(node_count) changes in place with the resize action (Magnum API 1.7), or a patch of O(node_count) on older
    APIs. A different O(cluster_template) is applied with the upgrade action (API 1.8) when O(allow_upgrade=true).
  - Magnum cannot change the other fields of an existing cluster (O(master_count), flavors, O(keypair),
    O(labels), networks, ...). When they differ the task fails listing each field with its current and wanted
    value, unless O(recreate=true) asks for the cluster to be deleted and created again.
  - A cluster found in a C(*_FAILED) status makes the task fail with Magnum's reason, unless
    O(recreate_failed=true).
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
      - With C(absent) the task waits (when O(wait=true)) until Magnum no longer knows the cluster, and fails on
        C(DELETE_FAILED) with Magnum's reason.
    type: str
    choices: [present, absent]
    default: present
  cluster_template:
    description:
      - The cluster template, by name or ID. Required with O(state=present).
    type: str
    aliases: [cluster_template_id, template]
  master_count:
    description:
      - Number of master nodes. Magnum's default is 1.
    type: int
  node_count:
    description:
      - Number of worker nodes (of O(nodegroup), or of the default worker node group). Magnum's default is 1.
      - C(0) needs Magnum API 1.10.
    type: int
  force_node_count:
    description:
      - Whether I(node_count) is applied even where autoscaling manages the count.
      - Without it, when the cluster has the label C(auto_scaling_enabled=true), or the resized node group (the
        default worker group unless I(nodegroup)) has a C(max_node_count), and the current count lies within the
        group's C(min_node_count) to C(max_node_count) range, a different I(node_count) is left to the autoscaler;
        the task reports the drift (result C(drift) and a warning) and changes nothing for it. A count outside
        the range is set to I(node_count). Reading the range needs Magnum API 1.9; older clouds give the label
        only.
    type: bool
    default: false
  nodegroup:
    description:
      - Node group that O(node_count) resizes, instead of the default worker group. Needs Magnum API 1.9.
      - With O(allow_upgrade=true), also the node group that is upgraded to the cluster's template when it does
        not run the template's C(kube_tag) (after the cluster's own upgrade, when O(cluster_template) changes
        too). Magnum upgrades non-default node groups only to the cluster's template.
    type: str
  nodes_to_remove:
    description:
      - Servers (names or IDs) to remove first when O(node_count) shrinks the cluster. Needs Magnum API 1.7.
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
        them, as strings; booleans become V(true)/V(false).
      - When unset (or empty), the cluster gets the template's labels, as Magnum does.
    type: dict
  merge_labels:
    description:
      - Whether O(labels) are added to the template's labels rather than replacing them.
      - With V(true) only the labels given are compared with an existing cluster's.
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
      - Existing subnet of O(fixed_network), by name or ID. Defaults to the template's.
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
      - Read at create time only, never compared. O(timeout) is how long this task waits, in seconds.
    type: int
  allow_upgrade:
    description:
      - Whether a different O(cluster_template) is applied to an existing cluster with Magnum's upgrade action.
      - With V(false) such a difference fails the task (or, with O(recreate=true), recreates the cluster).
      - After the upgrade the task reads the cluster and its node groups back and warns, naming what it saw,
        when the cluster's C(cluster_template_id) or C(coe_version), or a node group's version, is not the new
        template's.
      - A cluster whose C(coe_version) already is the new template's C(kube_tag) while its
        C(cluster_template_id) still names the old template (drivers that keep the old reference) is not
        upgraded again; the task warns instead.
    type: bool
    default: false
  max_batch_size:
    description:
      - How many nodes the upgrade action replaces at a time.
      - C(1) is what the magnum CLI sends when not told otherwise; Magnum itself fails an upgrade request
        without it.
    type: int
    default: 1
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
  delete_retries:
    description:
      - With I(state=absent) and I(wait=true), how many times a delete that ends in C(DELETE_FAILED) is sent
        again before the task fails with Magnum's reason and faults. Each failure is reported as a warning.
      - Resources Magnum's driver did not make (a load balancer, a port) often keep the first delete from
        finishing; a second delete after they are gone succeeds.
    type: int
    default: 0
  wait_healthy:
    description:
      - With I(state=present) and I(wait=true), whether the task also waits until Magnum reports the cluster's
        C(health_status) as C(HEALTHY), after the cluster has reached C(*_COMPLETE).
      - Magnum's conductor polls each cluster's Kubernetes API (C(/healthz)) and node conditions every
        C(health_polling_interval) seconds (60 by default), only where its driver has a health monitor;
        the task fails after I(healthy_timeout) with the last C(health_status) and C(health_status_reason).
    type: bool
    default: false
  healthy_timeout:
    description:
      - How long, in seconds, to wait for C(HEALTHY) when I(wait_healthy=true), on top of I(timeout).
    type: int
    default: 600
notes:
  - Polling starts every 2 seconds and backs off to every 10 seconds, so a long create costs few requests and
    the task returns within seconds of Magnum reporting C(*_COMPLETE).
  - Magnum answers a create before it has stored the cluster; a create whose response is lost is looked up by
    name before it is ever sent again.
  - With O(wait=false) the task still waits where the next step needs it, for example for the old cluster to be
    gone before a recreate, or for an upgrade to end before a resize.
seealso:
  - module: coe.magnum.magnum_cluster_template
    description: The template a cluster is built from.
  - module: coe.magnum.magnum_cluster_info
    description: Read clusters without changing them.
  - module: coe.magnum.magnum_cluster_config
    description: The kubeconfig of the new cluster.
  - module: coe.magnum.magnum_cluster_ports
    description: More ports in the cluster's security groups.
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

- name: Then bring a further node group to the cluster's template, two nodes at a time
  coe.magnum.magnum_cluster:
    name: k8s-cluster
    cluster_template: k8s-v1.30
    allow_upgrade: true
    nodegroup: gpu-workers
    max_batch_size: 2

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

- name: A cluster that is not only complete but HEALTHY in Magnum's health checks
  coe.magnum.magnum_cluster:
    name: k8s-cluster
    cluster_template: k8s
    wait_healthy: true

- name: Replace a cluster whose create failed
  coe.magnum.magnum_cluster:
    name: k8s-cluster
    cluster_template: k8s
    recreate_failed: true

- name: Delete the cluster and wait until it is gone
  coe.magnum.magnum_cluster:
    name: k8s-cluster
    state: absent

- name: Delete it, sending the delete once more if Magnum reports DELETE_FAILED
  coe.magnum.magnum_cluster:
    name: k8s-cluster
    state: absent
    delete_retries: 1
'''

RETURN = r'''
in_flight:
  description:
    - True when Magnum accepted the create (I(wait=false)) but its conductor had not written the cluster within 60
      seconds; C(id) names it, and a later task finds it by name once it is written. Also set on the failure of a
      create whose outcome is unknown.
  returned: when a create is still queued
  type: bool
already_deleted:
  description: True when the cluster was gone by the time the delete request reached Magnum (HTTP 404).
  returned: when the delete found nothing to delete
  type: bool
cluster:
  description:
    - The cluster as Magnum describes it after the task (the prediction in check mode). Fields the cloud's API
      version lacks are absent.
  returned: when O(state=present)
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
      description: Health reported by the cluster, for example C(HEALTHY), C(UNHEALTHY) or C(UNKNOWN).
      type: str
    health_status_reason:
      description: Magnum's reason for the health status, for example C(api=ok) and each node's C(Ready).
      type: dict
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
drift:
  description:
    - The node count autoscaling keeps, where it differs from I(node_count), with the range it is kept within.
  returned: when autoscaling keeps a count other than I(node_count)
  type: dict
  sample: {node_count: {current: 4, wanted: 2, min_node_count: 1, max_node_count: 5, nodegroup: default-worker}}
progress:
  description:
    - Where Magnum is with the cluster after the task, read from C(cluster.status) (the prediction in check
      mode) - C(in_progress) (C(*_IN_PROGRESS), Magnum is at work; with O(wait=false), poll with
      M(coe.magnum.magnum_cluster_info), whose records carry the same field), C(complete) (C(*_COMPLETE)) or
      C(failed) (C(*_FAILED)).
  returned: when O(state=present)
  type: str
  sample: complete
status_history:
  description: Every status seen while waiting, with the phase and the seconds since the first poll.
  returned: always
  type: list
  elements: dict
  sample:
    - {phase: create, status: CREATE_IN_PROGRESS, after_seconds: 0.0}
    - {phase: create, status: CREATE_COMPLETE, after_seconds: 14.8}
'''

from ansible_collections.coe.magnum.plugins.module_utils.openstack_base import WAIT_ARGSPEC, MagnumModule
from ansible_collections.coe.magnum.plugins.module_utils.cluster.model import DesiredCluster, progress_of, public_record
from ansible_collections.coe.magnum.plugins.module_utils.cluster.actions import ClusterActions
from ansible_collections.coe.magnum.plugins.module_utils.create_journal import CreateJournal


class ClusterModule(MagnumModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        cluster_template=dict(type='str', aliases=['cluster_template_id', 'template']),
        master_count=dict(type='int'),
        node_count=dict(type='int'),
        nodegroup=dict(type='str'),
        force_node_count=dict(type='bool', default=False),
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
        max_batch_size=dict(type='int', default=1),
        recreate=dict(type='bool', default=False),
        recreate_failed=dict(type='bool', default=False),
        delete_retries=dict(type='int', default=0),
        wait_healthy=dict(type='bool', default=False),
        healthy_timeout=dict(type='int', default=600),
        **WAIT_ARGSPEC
    )
    module_kwargs = dict(required_if=[('state', 'present', ['cluster_template'])])
    cluster_name_options = ('name',)
    resource_name_options = ('cluster_template', 'nodegroup')

    def run(self):
        desired = DesiredCluster.from_params(self.params)
        journal = None
        if self.params['state'] == 'present' and not self.check_mode:
            journal = CreateJournal.for_connection(self.connection, warn=self.warn)
        actions = ClusterActions(self.magnum, self.resolver, self.cloud_call, check_mode=self.check_mode,
                                 wait=self.params['wait'], timeout=self.params['timeout'], journal=journal,
                                 delete_retries=self.params['delete_retries'])
        if self.params['state'] == 'absent':
            return actions.ensure_absent(desired.name)
        result = actions.ensure_present(desired, allow_upgrade=self.params['allow_upgrade'],
                                        recreate=self.params['recreate'],
                                        recreate_failed=self.params['recreate_failed'])
        if self.params['wait_healthy'] and self.params['wait'] and not self.check_mode:
            result['cluster'] = public_record(actions.watch.until_healthy(result['cluster'],
                                                                          self.params['healthy_timeout']))
            result['status_history'] = actions.watch.history
        result['progress'] = progress_of((result.get('cluster') or {}).get('status'))
        return result


def main():
    ClusterModule().execute()


if __name__ == '__main__':
    main()
