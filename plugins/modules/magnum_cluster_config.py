#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: magnum_cluster_config
short_description: Write the kubeconfig, certificates or Docker environment of a Magnum cluster
version_added: 0.1.0
description:
  - The C(magnum cluster-config) step as a module. For a Kubernetes cluster it fetches the cluster's CA from
    Magnum, makes a private key and a certificate signing request (C(CN=admin), C(O=system:masters)), has
    Magnum sign it, and writes a kubeconfig with the CA, certificate and key embedded to O(dest)C(/config).
  - For a Swarm cluster it writes C(ca.pem), C(cert.pem), C(key.pem) and a C(docker.env) file setting
    C(DOCKER_HOST), C(DOCKER_CERT_PATH) and C(DOCKER_TLS_VERIFY), as C(magnum cluster-config) prints them.
  - Idempotent. A kubeconfig already in place is kept when its client certificate is valid for longer than
    O(renew_before) days, was signed by the cluster's current CA and its key matches, and the file names the
    cluster's current API address; no key is made and nothing is signed then. Otherwise a new key and certificate
    replace it. A file whose certificate is still good but whose other content differs (another server, other
    entry names) is rewritten with the same certificate.
  - Every file is written with mode 0600 from its first byte (a created directory gets 0700) through a temporary
    file renamed over the old one, so a reader never sees a half-written file and no other user ever sees a key.
  - The private key never appears in the module's result or log, unless O(return_content=true) asks for the
    kubeconfig content, which embeds it.
author:
  - coe.magnum contributors (@coe-magnum)
options:
  cluster:
    description:
      - Name or ID of the cluster. It must be ready (C(CREATE_COMPLETE), C(UPDATE_COMPLETE) or another
        C(*_COMPLETE) status) and have an API address.
    type: str
    required: true
  dest:
    description:
      - Directory to write the files to, created (mode 0700) when missing, as C(--dir) of C(magnum cluster-config).
      - The kubeconfig is C(config) in it.
      - Required for Swarm clusters. For Kubernetes clusters at least one of O(dest) and O(merge_into) is needed.
    type: path
  auth_mode:
    description:
      - How kubectl authenticates to a Kubernetes cluster.
      - C(certificate) embeds a client certificate signed by the cluster's CA (the cluster-admin identity that
        C(magnum cluster-config) gives).
      - C(keystone) writes an exec credential that hands the user's Keystone token from the C(OS_TOKEN)
        environment variable to kubectl, as C(magnum cluster-config --use-keystone) does; nothing is signed and
        the file holds no secret. The cluster must be set up for Keystone authentication.
      - Clusters with TLS disabled get a kubeconfig with the server only, in either mode.
    type: str
    choices: [certificate, keystone]
    default: certificate
  output_certs:
    description:
      - Also write C(ca.pem), C(cert.pem) and C(key.pem) to O(dest), as C(--output-certs) does (C(ca.pem) only in
        C(keystone) mode). Swarm clusters always get them.
    type: bool
    default: false
  key_type:
    description:
      - Type of the private key made for the client certificate.
    type: str
    choices: [rsa, ec]
    default: rsa
  key_size:
    description:
      - Size of the key in bits. C(rsa) allows 2048 (the default, as magnumclient), 3072 and 4096; C(ec) allows 256
        (P-256, the default) and 384 (P-384).
      - An existing certificate whose key has another type or size is replaced.
    type: int
  renew_before:
    description:
      - Replace the client certificate when it expires within this many days.
    type: int
    default: 30
  force:
    description:
      - Make a new key and have a new certificate signed even when the existing one is still good.
    type: bool
    default: false
  cluster_name:
    description:
      - Name of the cluster entry in the kubeconfig. Defaults to the Magnum cluster's name.
    type: str
  user_name:
    description:
      - Name of the user entry in the kubeconfig. Defaults to C(admin@<cluster>), or C(openstackuser@<cluster>) in
        C(keystone) mode, so that several clusters merged into one file keep their own users.
    type: str
  context_name:
    description:
      - Name of the context in the kubeconfig. Defaults to the Magnum cluster's name. It is the current context
        of O(dest)C(/config).
    type: str
  merge_into:
    description:
      - An existing or new kubeconfig (for example C(~/.kube/config)) to add this cluster's cluster, user and
        context entries to, replacing entries of the same names and keeping every other one.
      - Its current context is kept when it has one, so merging several clusters leaves the choice to you
        (C(kubectl config use-context)); a file without a current context gets this one.
      - The file is rewritten with mode 0600 because it then holds a private key.
    type: path
  rotate_ca:
    description:
      - Have Magnum replace the cluster's CA (Magnum API 1.5 or later), wait for the cluster to finish the update,
        then write files with a certificate signed by the new CA. Certificates signed by the old CA, in any
        kubeconfig, stop working.
      - This rotates on every run where it is true, so set it for a one-off task or from a condition.
    type: bool
    default: false
  timeout:
    description:
      - How long to wait, in seconds, for the cluster to finish a CA rotation.
    type: int
    default: 1800
  return_content:
    description:
      - Return the kubeconfig (Kubernetes) or the C(docker.env) text (Swarm) as RV(content).
      - The kubeconfig embeds the private key; use C(no_log) on the task when you set this.
    type: bool
    default: false
notes:
  - The files are written on the host the module runs on; use C(delegate_to) to write them on the controller.
  - The kubeconfig entry names differ from those of C(magnum cluster-config), whose fixed C(default) context and
    C(admin) user would collide when several clusters are merged into one kubeconfig. Set O(context_name) and
    O(user_name) to C(default) and C(admin) for its names.
requirements:
  - cryptography >= 3.1
  - PyYAML
seealso:
  - module: coe.magnum.magnum_cluster
    description: The cluster whose kubeconfig is written.
  - module: coe.magnum.coe_storage
    description: Storage in the cluster, through this kubeconfig.
extends_documentation_fragment:
  - coe.magnum.openstack
  - coe.magnum.openstack.IGNORED_WAIT
  - coe.magnum.attributes
  - coe.magnum.attributes.ACTION_GROUP
'''

EXAMPLES = r'''
- name: Write the kubeconfig of the cluster to ./myclusterconfig/config
  coe.magnum.magnum_cluster_config:
    cloud: mycloud
    cluster: k8s-cluster
    dest: myclusterconfig
  register: access

- name: Use it
  ansible.builtin.command: kubectl --kubeconfig {{ access.kubeconfig }} get nodes
  changed_when: false

- name: Add the cluster to ~/.kube/config as context k8s-prod, with separate PEM files and an EC key
  coe.magnum.magnum_cluster_config:
    cluster: k8s-cluster
    dest: ~/.config/k8s-cluster
    merge_into: ~/.kube/config
    context_name: k8s-prod
    output_certs: true
    key_type: ec

- name: Renew the certificate when it has less than 90 days left
  coe.magnum.magnum_cluster_config:
    cluster: k8s-cluster
    dest: myclusterconfig
    renew_before: 90

- name: Keystone token authentication (kubectl reads the token from OS_TOKEN)
  coe.magnum.magnum_cluster_config:
    cluster: k8s-cluster
    dest: myclusterconfig-keystone
    auth_mode: keystone

- name: Rotate the cluster's CA and write a kubeconfig for the new one
  coe.magnum.magnum_cluster_config:
    cluster: k8s-cluster
    dest: myclusterconfig
    rotate_ca: true

- name: The Docker environment of a Swarm cluster
  coe.magnum.magnum_cluster_config:
    cluster: swarm-cluster
    dest: swarmconfig
  register: swarm

- name: Use it
  ansible.builtin.shell: . {{ swarm.paths.docker_env }} && docker info
  changed_when: false
'''

RETURN = r'''
cluster_id:
  description: UUID of the cluster.
  returned: always
  type: str
cluster_name:
  description: Name of the cluster in Magnum.
  returned: always
  type: str
coe:
  description: The cluster's container orchestration engine.
  returned: always
  type: str
  sample: kubernetes
server:
  description: The cluster's API address, as written to the files.
  returned: always
  type: str
  sample: https://172.24.4.10:6443
tls:
  description: Whether the cluster uses TLS (its template does not disable it).
  returned: always
  type: bool
auth_mode:
  description: How the files authenticate; C(none) when TLS is disabled.
  returned: always
  type: str
  sample: certificate
kubeconfig:
  description: Path of the kubeconfig written to O(dest), or O(merge_into) when no O(dest) was given.
  returned: for Kubernetes clusters
  type: str
  sample: /home/user/myclusterconfig/config
context:
  description: Name of the kubeconfig context of the cluster.
  returned: for Kubernetes clusters
  type: str
paths:
  description: Every file the module manages for this cluster, by kind (C(kubeconfig), C(ca), C(cert), C(key),
    C(docker_env), C(merge_into)).
  returned: always
  type: dict
  sample:
    kubeconfig: /home/user/myclusterconfig/config
written:
  description: The files written (or that would be written in check mode).
  returned: always
  type: list
  elements: str
certificate:
  description: The client certificate in use, without any key material; null when there is none, and in check
    mode when a new one would be signed.
  returned: always
  type: dict
  sample:
    subject: O=system:masters,CN=admin
    issuer: CN=k8s-cluster
    serial_number: 5f1c0e3a
    not_before: '2026-11-26T03:00:00Z'
    not_after: '2031-11-26T03:00:00Z'
    days_left: 1825
    fingerprint_sha256: 4b0f...
    key_type: rsa
    key_size: 2048
certificate_expiry:
  description: When the client certificate expires (ISO 8601, UTC); null without a certificate.
  returned: always
  type: str
  sample: '2031-11-26T03:00:00Z'
renewed:
  description: Whether a new key and certificate were made (would be, in check mode).
  returned: always
  type: bool
renewal_reason:
  description: Why the existing certificate could not be kept.
  returned: when RV(renewed) is true
  type: str
  sample: the client certificate expires on 2026-12-01T00:00:00Z, within renew_before (30 days)
ca_rotated:
  description: Whether the cluster's CA was rotated (would be, in check mode).
  returned: always
  type: bool
content:
  description: The kubeconfig (Kubernetes) or C(docker.env) (Swarm) text; the kubeconfig embeds the private key.
    Null in check mode when it would hold a certificate not signed yet.
  returned: when O(return_content) is true
  type: str
'''

from ansible_collections.coe.magnum.plugins.module_utils.openstack_base import MagnumModule
from ansible_collections.coe.magnum.plugins.module_utils.cluster_config.task import ClusterConfig


class ClusterConfigModule(MagnumModule):
    argument_spec = dict(
        cluster=dict(type='str', required=True),
        dest=dict(type='path'),
        auth_mode=dict(type='str', default='certificate', choices=['certificate', 'keystone']),
        output_certs=dict(type='bool', default=False),
        key_type=dict(type='str', default='rsa', choices=['rsa', 'ec'], no_log=False),
        key_size=dict(type='int', no_log=False),
        renew_before=dict(type='int', default=30),
        force=dict(type='bool', default=False),
        cluster_name=dict(type='str'),
        user_name=dict(type='str'),
        context_name=dict(type='str'),
        merge_into=dict(type='path'),
        rotate_ca=dict(type='bool', default=False),
        timeout=dict(type='int', default=1800),
        return_content=dict(type='bool', default=False),
    )
    cluster_name_options = ('cluster',)
    module_kwargs = dict(required_one_of=[('dest', 'merge_into')])

    def run(self):
        return ClusterConfig(self.magnum, self.resolver, self.cloud_call, self.module.no_log_values.update,
                             self.params, check_mode=self.check_mode).run()


def main():
    ClusterConfigModule().execute()


if __name__ == '__main__':
    main()
