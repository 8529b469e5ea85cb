#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: coe_cluster_check
short_description: Check that a Kubernetes cluster works, with throw-away objects it removes again
version_added: 0.1.0
description:
  - With a kubeconfig, checks that the API answers; that as many nodes are Ready as were asked for; that exactly
    one StorageClass is the default; that a throw-away PersistentVolumeClaim of the default class binds, and that
    it is deleted with its volume; and that a small example Deployment and a NodePort Service become available.
  - A check the cluster cannot support (a Deployment on an API server that serves no apps/v1 Deployments, a claim
    of a class that binds only for its first consumer) is reported as C(not possible here, because ...), not faked.
  - The throw-away objects live in a namespace of their own, deleted at the end whatever happened.
  - Fails when any check fails; RV(checks) then says which and why.
author:
  - coe.magnum contributors (@coe-magnum)
options:
  expected_nodes:
    description:
      - How many nodes must be Ready (master count plus node count).
    type: int
    required: true
  storage:
    description:
      - Whether to check storage at all (the default StorageClass, and with O(claim) a throw-away claim).
    type: bool
    default: true
  claim:
    description:
      - Whether to check that a claim of the default StorageClass binds (with O(storage)).
    type: bool
    default: true
  claim_size:
    description:
      - The size of the throw-away claim.
    type: str
    default: 1Gi
  workload:
    description:
      - Whether to check that an example Deployment and NodePort Service become available.
    type: bool
    default: true
  image:
    description:
      - The container image of the example Deployment.
    type: str
    default: registry.k8s.io/e2e-test-images/agnhost:2.39
  args:
    description:
      - The arguments of the example container; the default makes agnhost serve HTTP on O(container_port).
    type: list
    elements: str
    default: [netexec, --http-port=8080]
  container_port:
    description:
      - The port the example container listens on, which the NodePort Service exposes.
    type: int
    default: 8080
  namespace_prefix:
    description:
      - The throw-away namespace is this prefix and a random suffix.
    type: str
    default: coe-cluster-check
  timeout:
    description:
      - Seconds to wait for each of the claim to bind, its volume to go, the Deployment to become available and the
        namespace to be deleted.
    type: int
    default: 180
extends_documentation_fragment:
  - coe.magnum.kube_connection
attributes:
  check_mode:
    description: Reports what it would test, without a request to the cluster.
    support: full
  diff_mode:
    description: Changes nothing that stays; there is nothing to show.
    support: none
'''

EXAMPLES = r'''
- name: Does the cluster work?
  coe.magnum.coe_cluster_check:
    kubeconfig: ~/.kube/magnum/k8s-cluster/config
    expected_nodes: 3
  register: check

- name: One line per check
  ansible.builtin.debug:
    msg: "{{ check.summary }}"
'''

RETURN = r'''
checks:
  description: One record per check (C(name), C(status) passed, failed, C(not possible here), skipped or
    C(would test), and C(message)).
  returned: always
  type: list
  elements: dict
summary:
  description: One line per check.
  returned: always
  type: list
  elements: str
'''

from ansible_collections.coe.magnum.plugins.module_utils.kube_base import KubernetesModule
from ansible_collections.coe.magnum.plugins.module_utils.cluster_probe import ClusterProbe, outcome, planned
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError

ARGUMENT_SPEC = dict(
    expected_nodes=dict(type='int', required=True),
    storage=dict(type='bool', default=True),
    claim=dict(type='bool', default=True),
    claim_size=dict(type='str', default='1Gi'),
    workload=dict(type='bool', default=True),
    image=dict(type='str', default='registry.k8s.io/e2e-test-images/agnhost:2.39'),
    args=dict(type='list', elements='str', default=['netexec', '--http-port=8080']),
    container_port=dict(type='int', default=8080),
    namespace_prefix=dict(type='str', default='coe-cluster-check'),
    timeout=dict(type='int', default=180),
)


class ClusterCheckModule(KubernetesModule):
    argument_spec = ARGUMENT_SPEC

    def validate(self):
        if self.params['expected_nodes'] < 1:
            raise CoeError('expected_nodes must be 1 or more, not %s' % self.params['expected_nodes'])

    def run(self):
        return outcome(planned(self.params) if self.check_mode else ClusterProbe(self.client, self.params).run())


def main():
    ClusterCheckModule().execute()


if __name__ == '__main__':
    main()
