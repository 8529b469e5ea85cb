#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: magnum_nodegroup
short_description: Create, resize and delete the node groups of a Magnum cluster
version_added: 0.1.0
description:
  - Ensures a node group (a set of workers of one flavor, image and labels) exists in a Magnum cluster with the
    given fields, or does not exist, and waits for Magnum to finish with the group and with the cluster.
  - Needs Magnum API 1.9; on older clouds the task fails saying so before anything is sent.
  - The group is found by name or ID within the cluster. Options left unset are not compared; a new group gets
    the cluster's flavor, the template's image and the cluster's labels for them, as Magnum does.
  - I(min_node_count) and I(max_node_count) change in place; I(node_count) changes with the cluster's resize
    action. I(role), I(flavor), I(image), I(labels) and I(docker_volume_size) cannot change on an existing group;
    when they differ the task fails listing each with its current and wanted value.
  - B(Autoscaling is respected.) When the group (or its cluster) has the label C(auto_scaling_enabled=true), or
    the group has a I(max_node_count), and its current node count lies within its C(min_node_count) to
    C(max_node_count) range, a different I(node_count) is not applied; the task reports the drift (result
    C(drift) and a warning) and still changes the range when the task's differs. I(force_node_count=true) sets
    the count anyway. A count outside the range is brought to I(node_count).
  - The default groups (C(default-master), C(default-worker)) can be resized here, never deleted.
author:
  - coe.magnum contributors (@coe-magnum)
options:
  cluster:
    description:
      - The cluster, by name or ID.
    type: str
    required: true
    aliases: [cluster_id]
  name:
    description:
      - Name of the node group, or the ID of an existing one.
    type: str
    required: true
  state:
    description:
      - Whether the node group should exist.
      - With C(absent) the task waits (when I(wait=true)) until Magnum no longer knows the group.
    type: str
    choices: [present, absent]
    default: present
  role:
    description:
      - Role of the nodes (Magnum's default is C(worker)); Magnum adds no master groups.
    type: str
  flavor:
    description:
      - Nova flavor of the nodes, by name or ID. Defaults to the cluster's.
    type: str
    aliases: [flavor_id]
  image:
    description:
      - Glance image of the nodes, by name or ID. Defaults to the cluster template's.
    type: str
    aliases: [image_id]
  node_count:
    description:
      - Number of nodes. Magnum's default is 1.
    type: int
  min_node_count:
    description:
      - Fewest nodes an autoscaler may leave. Magnum's default is 0.
    type: int
  max_node_count:
    description:
      - Most nodes an autoscaler may make. Unset means no limit.
    type: int
  force_node_count:
    description:
      - Whether I(node_count) is applied even where autoscaling manages the count (see the description).
    type: bool
    default: false
  labels:
    description:
      - Labels of the group. Values are compared as Magnum stores them, as strings.
      - When unset the group gets the cluster's labels.
    type: dict
  merge_labels:
    description:
      - Whether I(labels) are added to the cluster's labels rather than replacing them; with C(true) only the
        labels given are compared with an existing group's.
    type: bool
    default: false
  docker_volume_size:
    description:
      - Size in GB of the container storage volume of each node.
    type: int
notes:
  - The wait ends when the group reports C(*_COMPLETE) (or is gone, after a delete) and its cluster is no longer
    C(*_IN_PROGRESS); it fails at once on C(*_FAILED) with Magnum's reason.
extends_documentation_fragment:
  - coe.magnum.openstack
  - coe.magnum.wait
  - coe.magnum.attributes
  - coe.magnum.attributes.ACTION_GROUP
'''

EXAMPLES = r'''
- name: A second group of workers, waited for
  coe.magnum.magnum_nodegroup:
    cloud: mycloud
    cluster: k8s-cluster
    name: big-workers
    flavor: m1.large
    node_count: 2

- name: Let the autoscaler work between 1 and 5 nodes; a later run leaves its count alone
  coe.magnum.magnum_nodegroup:
    cluster: k8s-cluster
    name: big-workers
    node_count: 2
    min_node_count: 1
    max_node_count: 5

- name: Set the count even though the autoscaler manages it
  coe.magnum.magnum_nodegroup:
    cluster: k8s-cluster
    name: big-workers
    node_count: 3
    force_node_count: true

- name: Remove the group
  coe.magnum.magnum_nodegroup:
    cluster: k8s-cluster
    name: big-workers
    state: absent
'''

RETURN = r'''
nodegroup:
  description:
    - The node group as Magnum describes it after the task (the prediction in check mode).
  returned: when I(state=present)
  type: dict
  contains:
    uuid:
      description: ID of the group.
      type: str
    name:
      description: Name of the group.
      type: str
    role:
      description: Role of its nodes.
      type: str
    node_count:
      description: Number of nodes.
      type: int
    min_node_count:
      description: Fewest nodes an autoscaler may leave.
      type: int
    max_node_count:
      description: Most nodes an autoscaler may make.
      type: int
    flavor_id:
      description: Flavor of the nodes.
      type: str
    image_id:
      description: Image of the nodes.
      type: str
    labels:
      description: Labels of the group.
      type: dict
    is_default:
      description: Whether it is one of the groups Magnum made with the cluster.
      type: bool
    status:
      description: Magnum's status of the group.
      type: str
    version:
      description: Kubernetes version of the group, where the driver reports it.
      type: str
  sample:
    uuid: 6f0e3a1c-1f7b-4d6e-9a51-0c2a4f1e9b3d
    name: big-workers
    role: worker
    node_count: 2
    min_node_count: 1
    max_node_count: 5
    flavor_id: m1.large
    is_default: false
    status: CREATE_COMPLETE
id:
  description: ID of the node group.
  returned: when the group exists, existed, or was created
  type: str
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [update, resize]
drift:
  description:
    - The node count autoscaling keeps, where it differs from I(node_count); with the range it is kept within.
  returned: when autoscaling keeps a count other than I(node_count)
  type: dict
  sample: {node_count: {current: 4, wanted: 2, min_node_count: 1, max_node_count: 5}}
status_history:
  description: Every status of the group and of its cluster seen while waiting, with the phase and the seconds.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.coe.magnum.plugins.module_utils.openstack_base import WAIT_ARGSPEC, MagnumModule
from ansible_collections.coe.magnum.plugins.module_utils.cluster.nodegroup_plan import DesiredNodegroup
from ansible_collections.coe.magnum.plugins.module_utils.cluster.nodegroup_actions import NodegroupActions


class NodegroupModule(MagnumModule):
    argument_spec = dict(
        cluster=dict(type='str', required=True, aliases=['cluster_id']),
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        role=dict(type='str'),
        flavor=dict(type='str', aliases=['flavor_id']),
        image=dict(type='str', aliases=['image_id']),
        node_count=dict(type='int'),
        min_node_count=dict(type='int'),
        max_node_count=dict(type='int'),
        force_node_count=dict(type='bool', default=False),
        labels=dict(type='dict'),
        merge_labels=dict(type='bool', default=False),
        docker_volume_size=dict(type='int'),
        **WAIT_ARGSPEC
    )
    cluster_name_options = ('cluster',)
    resource_name_options = ('name',)

    def run(self):
        desired = DesiredNodegroup.from_params(self.params)
        actions = NodegroupActions(self.magnum, self.resolver, self.cloud_call, check_mode=self.check_mode,
                                   wait=self.params['wait'], timeout=self.params['timeout'])
        if self.params['state'] == 'absent':
            return actions.ensure_absent(self.params['cluster'], desired.name)
        return actions.ensure_present(self.params['cluster'], desired)


def main():
    NodegroupModule().execute()


if __name__ == '__main__':
    main()
