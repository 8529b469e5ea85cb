#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: coe_storage
short_description: Cinder-backed StorageClass and PersistentVolumeClaims on a Magnum Kubernetes cluster
version_added: 0.1.0
description:
  - Ensures a StorageClass that provisions Cinder volumes, optionally as the cluster's default class, and
    PersistentVolumeClaims of it, on any Kubernetes cluster Magnum builds, from Kubernetes 1.5 to current releases.
  - With O(storage_class.provisioner=auto) the module reads the cluster's version, the C(storage.k8s.io) API
    versions it serves and its CSIDriver objects, and picks the Cinder CSI driver when it is installed, else the
    in-tree C(kubernetes.io/cinder) provisioner on clusters older than 1.26.
  - The StorageClass is written in the C(storage.k8s.io) version the cluster serves (V(v1beta1) before
    Kubernetes 1.6), and the default-class annotation in the form the cluster reads.
  - Every option and every refusal (fields that cannot change, a claim that would shrink, a Bound claim to delete)
    is checked before the first change is made.
author:
  - coe.magnum contributors (@coe-magnum)
seealso:
  - module: coe.magnum.magnum_cluster_config
    description: Writes the kubeconfig this module connects with.
extends_documentation_fragment:
  - coe.magnum.kube_connection
  - coe.magnum.attributes
  - coe.magnum.attributes.KUBERNETES_ACTION_GROUP
options:
  state:
    description:
      - V(present) creates or updates the StorageClass and the claims.
      - V(absent) deletes the claims listed in O(claims), then the StorageClass named in O(storage_class), when
        they exist. Only O(storage_class.name) and the claims' O(claims[].name) and O(claims[].namespace) are used.
    type: str
    choices: [present, absent]
    default: present
  storage_class:
    description:
      - The StorageClass to manage. Leave out to manage claims only.
    type: dict
    suboptions:
      name:
        description: Name of the StorageClass.
        type: str
        default: standard
      default:
        description:
          - Whether this is the cluster's default StorageClass, used by claims that name no class.
          - When V(true) and another class is already the default (clusters of the Cluster API drivers come with
            a default class from their chart, named after the default Cinder volume type by
            magnum-capi-helm), O(storage_class.existing_default) decides; without it the
            task fails naming that option, so a cluster never ends up with two default classes.
          - When V(false), a default-class mark on this class is cleared.
        type: bool
        default: false
      existing_default:
        description:
          - What to do with another default class of the cluster when O(storage_class.default=true). Needed only
            when such a class exists; ignored when none does.
          - V(keep) leaves the other class the default and makes this class a non-default one.
          - V(replace) makes this class the only default; every other class stops being the default.
          - V(adopt) makes no class of its own; the cluster's default class serves the claims that name no class,
            and is returned as RV(storage_class). A default class named O(storage_class.name) is adopted as it is
            (the Cluster API drivers' chart names its classes after the Cinder volume types, so C(standard) may be
            the chart's). Fails when several classes are marked as default.
        type: str
        choices: [keep, replace, adopt]
      provisioner:
        description:
          - V(auto) picks the Cinder CSI driver when the cluster has it (CSIDriver C(cinder.csi.openstack.org)),
            else the in-tree provisioner on Kubernetes older than 1.26, else fails saying how to get the CSI driver
            (Magnum label C(cinder_csi_enabled=true)).
          - With V(auto), an existing class whose Cinder provisioner works on the cluster is kept as it is.
        type: str
        choices: [auto, cinder.csi.openstack.org, kubernetes.io/cinder]
        default: auto
      parameters:
        description:
          - Provisioner parameters. The Cinder provisioners read C(type) (the Cinder volume type) and
            C(availability) (the availability zone of the volumes); values are passed as strings.
          - Cannot change on an existing class, see O(storage_class.replace).
        type: dict
      reclaim_policy:
        description:
          - What happens to a volume when its claim is deleted. Needs Kubernetes 1.8 for V(Retain).
          - Cannot change on an existing class, see O(storage_class.replace).
        type: str
        choices: [Delete, Retain]
        default: Delete
      volume_binding_mode:
        description:
          - V(Immediate) provisions a volume as soon as a claim is made; V(WaitForFirstConsumer) waits for a pod
            using the claim, so the volume lands in the pod's availability zone. Needs Kubernetes 1.9 for
            V(WaitForFirstConsumer).
          - Cannot change on an existing class, see O(storage_class.replace).
        type: str
        choices: [Immediate, WaitForFirstConsumer]
        default: Immediate
      allow_volume_expansion:
        description:
          - Whether claims of the class may grow. Left as it is when not set. Needs Kubernetes 1.8.
        type: bool
      mount_options:
        description:
          - Mount options of the volumes. Left as they are when not set. Needs Kubernetes 1.8.
        type: list
        elements: str
      replace:
        description:
          - When the provisioner, parameters, reclaim policy or binding mode of an existing class differ, delete the
            class and create it again. Claims and volumes made from the class are kept.
          - When V(false), such differences fail the task with the list of fields.
        type: bool
        default: false
  claims:
    description:
      - PersistentVolumeClaims to manage. Their namespaces are created when missing.
      - An existing claim can only grow, and only when its class allows volume expansion; other fields of a claim
        cannot change.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the claim.
        type: str
        required: true
      namespace:
        description: Namespace of the claim.
        type: str
        default: default
      size:
        description:
          - Requested storage as a Kubernetes quantity, for example V(1Gi). Required with O(state=present).
        type: str
      access_modes:
        description:
          - Access modes of the claim. Cinder volumes support V(ReadWriteOnce).
          - V(ReadWriteOncePod) needs Kubernetes 1.27 or later; on older clusters the task fails before it changes
            anything.
        type: list
        elements: str
        choices: [ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod]
        default: [ReadWriteOnce]
      storage_class:
        description:
          - The class of the claim. Defaults to O(storage_class.name) when a class is managed, else to the
            cluster's default class.
        type: str
  wait:
    description:
      - Whether to wait until new or Pending claims are Bound.
      - Claims of a V(WaitForFirstConsumer) class are not waited for; they bind when a pod uses them.
    type: bool
    default: true
  timeout:
    description: How long to wait for all the claims together, in seconds.
    type: int
    default: 300
  delete_bound_claims:
    description:
      - With O(state=absent), allow deleting claims that are Bound to a volume. With the reclaim policy V(Delete),
        the volume and its Cinder volume are deleted with the claim, and the data is lost.
      - Without it, a Bound claim in O(claims) fails the task before anything is deleted.
    type: bool
    default: false
attributes:
  check_mode:
    details: Sends only reads; the results are the module's prediction.
'''

EXAMPLES = r'''
- name: Default Cinder StorageClass and the guide's 1Gi claim
  coe.magnum.coe_storage:
    kubeconfig: "{{ cluster_dir }}/config"
    storage_class:
      name: standard
      default: true
      parameters:
        type: fast
        availability: nova
    claims:
      - name: myvolume
        size: 1Gi

- name: On a Cluster API cluster whose chart made its own class the default, make ours the only default class
  coe.magnum.coe_storage:
    kubeconfig: "{{ cluster_dir }}/config"
    storage_class:
      name: block
      default: true
      existing_default: replace
      parameters:
        type: standard

- name: A second class for volumes that must outlive their claims, with growing claims
  coe.magnum.coe_storage:
    kubeconfig: "{{ cluster_dir }}/config"
    context: k8s-cluster  # magnum_cluster_config names the context after the cluster
    storage_class:
      name: retained
      provisioner: cinder.csi.openstack.org
      reclaim_policy: Retain
      volume_binding_mode: WaitForFirstConsumer
      allow_volume_expansion: true

- name: Connection options as kubernetes.core takes them
  coe.magnum.coe_storage:
    host: https://10.0.0.5:6443
    ca_cert: "{{ cluster_dir }}/ca.pem"
    client_cert: "{{ cluster_dir }}/cert.pem"
    client_key: "{{ cluster_dir }}/key.pem"
    claims:
      - name: data
        namespace: shop
        size: 20Gi
        storage_class: standard

- name: Remove a claim and its volume
  coe.magnum.coe_storage:
    kubeconfig: "{{ cluster_dir }}/config"
    state: absent
    delete_bound_claims: true
    claims:
      - name: data
        namespace: shop
'''

RETURN = r'''
already_deleted:
  description: Objects read before their delete and gone when it came (HTTP 404), as C(Kind/namespace/name).
  returned: when a delete found nothing to delete
  type: list
  elements: str
actions:
  description: What was done (or would be done in check mode), one line each.
  returned: always
  type: list
  elements: str
  sample: ["created StorageClass standard (provisioner cinder.csi.openstack.org)",
           "StorageClass old is no longer the default class",
           "created PersistentVolumeClaim default/myvolume (1Gi)"]
notes:
  description: Things to know that are not failures, such as claims not waited for.
  returned: always
  type: list
  elements: str
cluster:
  description: What the module found out about the cluster.
  returned: always
  type: dict
  contains:
    git_version:
      description: The version the API server reports.
      type: str
      sample: v1.30.4
    version:
      description: Major and minor version.
      type: str
      sample: "1.30"
    storage_versions:
      description: The served versions of the C(storage.k8s.io) API group.
      type: list
      elements: str
      sample: [v1]
    storage_api_version:
      description: The API version StorageClasses are read and written with.
      type: str
      sample: storage.k8s.io/v1
    cinder_csi_driver:
      description: Whether the CSIDriver C(cinder.csi.openstack.org) is registered.
      type: bool
provisioner:
  description: The provisioner of the StorageClass; null when no class is managed or with O(state=absent).
  returned: always
  type: str
  sample: cinder.csi.openstack.org
storage_class:
  description: The StorageClass after the task (predicted in check mode); empty when none is managed or it was
    deleted. With O(storage_class.existing_default=adopt), the cluster's default class that was adopted.
  returned: always
  type: dict
  sample:
    apiVersion: storage.k8s.io/v1
    kind: StorageClass
    metadata:
      name: standard
      annotations:
        storageclass.kubernetes.io/is-default-class: "true"
    provisioner: cinder.csi.openstack.org
    parameters:
      type: fast
    reclaimPolicy: Delete
    volumeBindingMode: Immediate
claims:
  description: The claims after the task (predicted in check mode), in the order of O(claims); empty with
    O(state=absent).
  returned: always
  type: list
  elements: dict
  sample:
    - apiVersion: v1
      kind: PersistentVolumeClaim
      metadata:
        name: myvolume
        namespace: default
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 1Gi
        storageClassName: standard
        volumeName: pvc-6f1c
      status:
        phase: Bound
        capacity:
          storage: 1Gi
'''

from ansible_collections.coe.magnum.plugins.module_utils.kube_base import KubernetesModule
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.kube_discovery import CINDER_CSI, CINDER_IN_TREE
from ansible_collections.coe.magnum.plugins.module_utils.storage.claim_manifest import ACCESS_MODES
from ansible_collections.coe.magnum.plugins.module_utils.storage.reconcile import StorageReconciler, validate

ARGUMENT_SPEC = dict(
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    storage_class=dict(type='dict', options=dict(
        name=dict(type='str', default='standard'),
        default=dict(type='bool', default=False),
        provisioner=dict(type='str', choices=['auto', CINDER_CSI, CINDER_IN_TREE], default='auto'),
        parameters=dict(type='dict'),
        reclaim_policy=dict(type='str', choices=['Delete', 'Retain'], default='Delete'),
        volume_binding_mode=dict(type='str', choices=['Immediate', 'WaitForFirstConsumer'], default='Immediate'),
        allow_volume_expansion=dict(type='bool'),
        mount_options=dict(type='list', elements='str'),
        replace=dict(type='bool', default=False),
        existing_default=dict(type='str', choices=['keep', 'replace', 'adopt']),
    )),
    claims=dict(type='list', elements='dict', default=[], options=dict(
        name=dict(type='str', required=True),
        namespace=dict(type='str', default='default'),
        size=dict(type='str'),
        access_modes=dict(type='list', elements='str', choices=list(ACCESS_MODES), default=['ReadWriteOnce']),
        storage_class=dict(type='str'),
    )),
    wait=dict(type='bool', default=True),
    timeout=dict(type='int', default=300),
    delete_bound_claims=dict(type='bool', default=False),
)


class StorageModule(KubernetesModule):
    argument_spec = ARGUMENT_SPEC
    action = 'manage the storage'

    def validate(self):
        problems = validate(self.params)
        if problems:
            raise CoeError('; '.join(problems))

    def run(self):
        return StorageReconciler(self.client, self.params, check_mode=self.check_mode, warn=self.warn).run()


def main():
    StorageModule().execute()


if __name__ == '__main__':
    main()
