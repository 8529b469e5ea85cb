#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: magnum_cluster_template
short_description: Create, update and delete Magnum cluster templates
version_added: 0.1.0
description:
  - Ensures a Magnum cluster template exists with the given fields, or does not exist.
  - The template is found by name or ID only. Options left unset keep what the template has (or Magnum's
    default when it is created).
  - Changes are applied in place with a JSON patch. While clusters use the template Magnum lets only O(name),
    O(public) and O(hidden) change; the module then fails listing the other fields that differ, and never
    deletes and re-creates a template behind your back.
  - Image, flavors, networks, subnet and keypair are accepted by name or ID, and every one is checked before
    anything changes in the cloud.
author:
  - coe.magnum contributors (@coe-magnum)
options:
  name:
    description:
      - Name or ID of the template.
    type: str
    required: true
  state:
    description:
      - Whether the template should exist.
    type: str
    choices: [present, absent]
    default: present
  coe:
    description:
      - Container orchestration engine. Required to create a template.
    type: str
    choices: [kubernetes, swarm, swarm-mode, mesos, dcos]
  image:
    description:
      - Glance image, by name or ID. Required to create.
      - The image needs an C(os_distro) property Magnum knows (C(fedora-coreos), C(fedora-atomic), ...); without one
        the task fails before anything is sent.
    type: str
    aliases: [image_id]
  keypair:
    description:
      - Nova keypair for the nodes.
    type: str
    aliases: [keypair_id]
  external_network:
    description:
      - External network, by name or ID, for floating IPs and load balancers.
    type: str
    aliases: [external_network_id]
  fixed_network:
    description:
      - Existing private network, by name or ID, instead of one Magnum creates for each cluster.
    type: str
  fixed_subnet:
    description:
      - Existing subnet, by name or ID, of O(fixed_network).
    type: str
  flavor:
    description:
      - Nova flavor of the worker nodes, by name or ID.
    type: str
    aliases: [flavor_id]
  master_flavor:
    description:
      - Nova flavor of the master nodes, by name or ID.
    type: str
    aliases: [master_flavor_id]
  dns_nameserver:
    description:
      - DNS server (or comma-separated servers) for the cluster's private network.
    type: str
  network_driver:
    description:
      - Container network driver, for example C(flannel) or C(calico).
    type: str
  volume_driver:
    description:
      - Volume driver, for example C(cinder).
    type: str
  docker_volume_size:
    description:
      - Size in GB of the Cinder volume for container storage on each node.
    type: int
  docker_storage_driver:
    description:
      - Docker storage driver, for example C(overlay2).
    type: str
  labels:
    description:
      - Labels (driver parameters). Values of any type are compared as Magnum stores them, as strings;
        booleans become V(true)/V(false).
      - When given, the template's labels become exactly these.
    type: dict
  floating_ip_enabled:
    description:
      - Whether nodes get floating IPs.
    type: bool
  master_lb_enabled:
    description:
      - Whether clusters get a load balancer in front of their masters.
      - V(true) needs a load-balancer service (Octavia) in the cloud's catalog; without one the task fails before
        anything is sent, since every cluster of the template would fail minutes into its create.
    type: bool
  public:
    description:
      - Whether the template is visible to every project (needs the admin role on most clouds).
    type: bool
  hidden:
    description:
      - Whether the template is hidden from listings (admin only on most clouds).
    type: bool
  tls_disabled:
    description:
      - Whether TLS is disabled on the cluster APIs.
    type: bool
  registry_enabled:
    description:
      - Whether a Docker registry runs in the cluster.
    type: bool
  http_proxy:
    description:
      - HTTP proxy for the nodes.
    type: str
  https_proxy:
    description:
      - HTTPS proxy for the nodes.
    type: str
  no_proxy:
    description:
      - Hosts and networks the nodes reach without the proxy.
    type: str
  server_type:
    description:
      - Kind of server of the nodes.
    type: str
    choices: [vm, bm]
  insecure_registry:
    description:
      - URL of an insecure Docker registry for the nodes.
    type: str
  tags:
    description:
      - Tags of the template (Magnum stores them comma-separated).
    type: list
    elements: str
  apiserver_port:
    description:
      - Port of the cluster API server.
    type: int
  driver:
    description:
      - Magnum driver to use, on clouds whose Magnum selects drivers by name.
    type: str
seealso:
  - module: coe.magnum.magnum_cluster_template_info
    description: Read templates without changing them.
  - module: coe.magnum.magnum_cluster
    description: Clusters built from the template.
extends_documentation_fragment:
  - coe.magnum.openstack
  - coe.magnum.openstack.IGNORED_WAIT
  - coe.magnum.attributes
  - coe.magnum.attributes.ACTION_GROUP
'''

EXAMPLES = r'''
- name: The template of the classic Magnum guide
  coe.magnum.magnum_cluster_template:
    cloud: mycloud
    name: k8s
    coe: kubernetes
    image: Fedora-Atomic-25
    external_network: public
    dns_nameserver: 193.166.4.25
    network_driver: flannel
    flavor: io.70GB
    master_flavor: io.70GB
    volume_driver: cinder
    keypair: mykey
    labels:
      kube_tag: v1.30.4
      cinder_csi_enabled: true

- name: Publish an existing template (allowed while clusters use it)
  coe.magnum.magnum_cluster_template:
    name: k8s
    public: true

- name: Remove the template
  coe.magnum.magnum_cluster_template:
    name: k8s
    state: absent
'''

RETURN = r'''
already_deleted:
  description: True when the template was gone by the time the delete request reached Magnum (HTTP 404).
  returned: when the delete found nothing to delete
  type: bool
cluster_template:
  description: The template as Magnum describes it (after the change; the prediction in check mode).
  returned: when O(state=present)
  type: dict
  sample:
    uuid: 0f3c7c54-5bd4-4fb4-b6b8-d0d4e4a4e3a4
    name: k8s
    coe: kubernetes
    image_id: Fedora-Atomic-25
    labels: {kube_tag: v1.30.4}
id:
  description: UUID of the template.
  returned: when the template exists or was deleted
  type: str
changes:
  description: The fields that differed, with the current and wanted values.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.coe.magnum.plugins.module_utils.openstack_base import MagnumModule
from ansible_collections.coe.magnum.plugins.module_utils.cluster_template_actions import ClusterTemplateActions
from ansible_collections.coe.magnum.plugins.module_utils.validation import (
    APISERVER_PORT,
    check_labels,
    check_minimum,
    check_range,
)


class ClusterTemplateModule(MagnumModule):
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        coe=dict(type='str', choices=['kubernetes', 'swarm', 'swarm-mode', 'mesos', 'dcos']),
        image=dict(type='str', aliases=['image_id']),
        keypair=dict(type='str', aliases=['keypair_id'], no_log=False),
        external_network=dict(type='str', aliases=['external_network_id']),
        fixed_network=dict(type='str'),
        fixed_subnet=dict(type='str'),
        flavor=dict(type='str', aliases=['flavor_id']),
        master_flavor=dict(type='str', aliases=['master_flavor_id']),
        dns_nameserver=dict(type='str'),
        network_driver=dict(type='str'),
        volume_driver=dict(type='str'),
        docker_volume_size=dict(type='int'),
        docker_storage_driver=dict(type='str'),
        labels=dict(type='dict'),
        floating_ip_enabled=dict(type='bool'),
        master_lb_enabled=dict(type='bool'),
        public=dict(type='bool'),
        hidden=dict(type='bool'),
        tls_disabled=dict(type='bool'),
        registry_enabled=dict(type='bool'),
        http_proxy=dict(type='str'),
        https_proxy=dict(type='str'),
        no_proxy=dict(type='str'),
        server_type=dict(type='str', choices=['vm', 'bm']),
        insecure_registry=dict(type='str'),
        tags=dict(type='list', elements='str'),
        apiserver_port=dict(type='int'),
        driver=dict(type='str'),
    )
    resource_name_options = ('name',)

    def validate(self):
        super(ClusterTemplateModule, self).validate()
        check_minimum(self.params, 'docker_volume_size', 1)
        check_range(self.params, 'apiserver_port', APISERVER_PORT)
        check_labels(self.params.get('labels'))

    def run(self):
        return ClusterTemplateActions(self.magnum, self.resolver, self.cloud_call, self.params,
                                      check_mode=self.check_mode).run()


def main():
    ClusterTemplateModule().execute()


if __name__ == '__main__':
    main()
