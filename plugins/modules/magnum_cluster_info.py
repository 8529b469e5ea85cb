#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: magnum_cluster_info
short_description: Show Magnum clusters
version_added: 0.1.0
description:
  - Returns one cluster by name or ID, or every cluster the user can see, filtered by status and template.
  - Records are Magnum's detailed ones; fields an old cloud's API lacks are simply absent.
author:
  - coe.magnum contributors (@coe-magnum)
options:
  name:
    description:
      - Name or ID of the cluster. When several clusters have this name, all of them are returned.
      - When unset, every cluster is listed.
    type: str
  status:
    description:
      - Only clusters in one of these statuses, for example C(CREATE_COMPLETE) or C(CREATE_FAILED).
    type: list
    elements: str
  cluster_template:
    description:
      - Only clusters built from this template, by name or ID.
    type: str
    aliases: [cluster_template_id, template]
  nodegroups:
    description:
      - Whether to add each cluster's node groups (Magnum API 1.9; on older clouds a warning says they are not
        available). Costs one request per cluster.
    type: bool
    default: false
seealso:
  - module: coe.magnum.magnum_cluster
    description: Create, resize, upgrade or delete a cluster.
extends_documentation_fragment:
  - coe.magnum.openstack
  - coe.magnum.openstack.IGNORED_WAIT
  - coe.magnum.attributes.INFO_MODULE
  - coe.magnum.attributes.ACTION_GROUP
'''

EXAMPLES = r'''
- name: One cluster, as magnum cluster-show prints it
  coe.magnum.magnum_cluster_info:
    cloud: mycloud
    name: k8s-cluster
  register: shown

- name: Its API address
  ansible.builtin.debug:
    msg: "{{ shown.clusters[0].api_address }}"

- name: Every failed cluster of the template k8s, with its node groups
  coe.magnum.magnum_cluster_info:
    cluster_template: k8s
    status: [CREATE_FAILED, UPDATE_FAILED]
    nodegroups: true
'''

RETURN = r'''
clusters:
  description:
    - The matching clusters, as Magnum describes them (see M(coe.magnum.magnum_cluster) for the main fields).
    - Empty when no cluster matches (including when O(name) matches none).
    - C(health_status) (C(HEALTHY), C(UNHEALTHY), C(UNKNOWN), or none until Magnum's first health poll) and
      C(health_status_reason) (for example C(api=ok) and each node's C(Ready)) are Magnum's periodic health
      checks of the cluster's Kubernetes API.
    - Besides Magnum's fields, C(progress) says where Magnum is with the cluster, read from its C(status) -
      C(in_progress) (C(*_IN_PROGRESS), Magnum is at work), C(complete) (C(*_COMPLETE)) or C(failed) (C(*_FAILED)).
  returned: always
  type: list
  elements: dict
  sample:
    - uuid: 3a4f28a6-9c1e-4d0e-a1a4-6a5e0b9f1c2d
      name: k8s-cluster
      status: CREATE_COMPLETE
      progress: complete
      health_status: HEALTHY
      health_status_reason: {api: ok, k8s-cluster-abc123-node-0.Ready: 'True'}
      cluster_template_id: 0f3c7c54-5bd4-4fb4-b6b8-d0d4e4a4e3a4
      node_count: 1
      master_count: 1
      nodegroups:
        - {name: default-master, role: master, node_count: 1, is_default: true}
        - {name: default-worker, role: worker, node_count: 1, is_default: true}
'''

from ansible_collections.coe.magnum.plugins.module_utils.openstack_base import MagnumModule
from ansible_collections.coe.magnum.plugins.module_utils.cluster.model import progress_of
from ansible_collections.coe.magnum.plugins.module_utils.cluster.query import find_clusters, with_node_groups


class ClusterInfoModule(MagnumModule):
    argument_spec = dict(
        name=dict(type='str'),
        status=dict(type='list', elements='str'),
        cluster_template=dict(type='str', aliases=['cluster_template_id', 'template']),
        nodegroups=dict(type='bool', default=False),
    )

    def run(self):
        template_uuid = None
        if self.params['cluster_template']:
            with self.cloud_call('look up cluster template %r' % self.params['cluster_template']):
                template = self.resolver.magnum_get('cluster_template', self.params['cluster_template'],
                                                    'cluster_template')
            if template is None:
                return dict(changed=False, clusters=[])
            template_uuid = template['uuid']
        with self.cloud_call('read the clusters'):
            clusters = find_clusters(self.magnum, self.params['name'], self.params['status'], template_uuid)
            if self.params['nodegroups'] and clusters:
                if self.magnum.supports('nodegroups'):
                    clusters = with_node_groups(self.magnum, clusters)
                else:
                    self.warn('This cloud serves Magnum API versions without node groups (1.9); '
                              'the clusters are returned without them.')
        return dict(changed=False, clusters=[dict(cluster, progress=progress_of(cluster.get('status')))
                                             for cluster in clusters])


def main():
    ClusterInfoModule().execute()


if __name__ == '__main__':
    main()
