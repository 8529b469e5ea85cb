#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: magnum_nodegroup_info
short_description: Show the node groups of a Magnum cluster
version_added: 0.1.0
description:
  - Returns one node group of a cluster by name or ID, or all of them, as Magnum describes them in full
    (labels, minimum and maximum node counts, version, status).
  - Needs Magnum API 1.9; on older clouds the task fails saying so.
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
      - Name or ID of one node group. When unset, every group of the cluster is returned.
    type: str
  role:
    description:
      - Only groups of this role, for example C(worker).
    type: str
extends_documentation_fragment:
  - coe.magnum.openstack
  - coe.magnum.openstack.IGNORED_WAIT
  - coe.magnum.attributes.INFO_MODULE
  - coe.magnum.attributes.ACTION_GROUP
'''

EXAMPLES = r'''
- name: Every node group of a cluster
  coe.magnum.magnum_nodegroup_info:
    cloud: mycloud
    cluster: k8s-cluster
  register: groups

- name: Their sizes
  ansible.builtin.debug:
    msg: "{{ groups.nodegroups | items2dict(key_name='name', value_name='node_count') }}"

- name: One group
  coe.magnum.magnum_nodegroup_info:
    cluster: k8s-cluster
    name: big-workers
'''

RETURN = r'''
nodegroups:
  description:
    - The matching node groups, default groups first, each in full (see M(coe.magnum.magnum_nodegroup)).
    - Empty when the cluster has no such group.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: default-master, role: master, node_count: 1, is_default: true, status: CREATE_COMPLETE}
    - {name: default-worker, role: worker, node_count: 2, min_node_count: 0, max_node_count: null, is_default: true,
       status: CREATE_COMPLETE, version: v1.30.4}
'''

from ansible_collections.coe.magnum.plugins.module_utils.openstack_base import MagnumModule
from ansible_collections.coe.magnum.plugins.module_utils.cluster.nodegroup_actions import NodegroupActions


class NodegroupInfoModule(MagnumModule):
    argument_spec = dict(
        cluster=dict(type='str', required=True, aliases=['cluster_id']),
        name=dict(type='str'),
        role=dict(type='str'),
    )
    cluster_name_options = ('cluster',)
    resource_name_options = ('name',)

    def run(self):
        actions = NodegroupActions(self.magnum, self.resolver, self.cloud_call)
        cluster = actions.cluster(self.params['cluster'])
        if self.params['name']:
            found = actions.find(cluster, self.params['name'])
            groups = [found] if found else []
        else:
            groups = actions.all(cluster)
        if self.params['role']:
            groups = [group for group in groups if group.get('role') == self.params['role']]
        return dict(changed=False, nodegroups=groups)


def main():
    NodegroupInfoModule().execute()


if __name__ == '__main__':
    main()
