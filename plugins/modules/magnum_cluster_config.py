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

import os

from ansible_collections.coe.magnum.plugins.module_utils import certificates, kubeconfig
from ansible_collections.coe.magnum.plugins.module_utils.base import MagnumModule
from ansible_collections.coe.magnum.plugins.module_utils.cluster_access import (
    KUBERNETES,
    SWARM,
    AccessFiles,
    check_options,
    coe_kind,
    entry_names,
    fetch_ca,
    require_ready,
    reusable_credential,
    rotate_ca,
    sign_new_credential,
    wants_client_certificate,
)
from ansible_collections.coe.magnum.plugins.module_utils.cluster.watch import ClusterWatch
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.files import (
    check_writable_directory,
    check_writable_file,
    ensure_directory,
    write_atomic,
)
from ansible_collections.coe.magnum.plugins.module_utils.redaction import pem_forms


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
        params = self.params
        self.check_params()
        with self.cloud_call('look up cluster %r' % params['cluster']):
            cluster = self.resolver.magnum_require('cluster', params['cluster'], 'cluster')
        require_ready(cluster)
        name = cluster.get('name') or cluster['uuid']
        with self.cloud_call('read the cluster template of cluster %s' % name):
            template = self.magnum.template_facts(cluster['cluster_template_id'])
        kind = coe_kind(template, cluster)
        tls_enabled = not template.get('tls_disabled')
        check_options(params, kind, tls_enabled, name)
        if params.get('dest'):
            check_writable_directory(params['dest'], 'dest')
        if params.get('merge_into'):
            check_writable_file(params['merge_into'], 'merge_into')
        if params['rotate_ca']:
            with self.cloud_call('read the API versions of Magnum'):
                self.magnum.require('ca_rotation', 'rotate_ca')
        files = AccessFiles(params, cluster, kind, tls_enabled, entry_names(params, name))

        if params['rotate_ca'] and not self.check_mode:
            with self.cloud_call('rotate the CA of cluster %s' % name):
                cluster = rotate_ca(self.magnum, cluster, ClusterWatch(self.magnum, params['timeout']))
            require_ready(cluster)
            files.cluster = cluster
        ca_pem = None
        if tls_enabled:
            with self.cloud_call('fetch the CA certificate of cluster %s' % name):
                ca_pem = fetch_ca(self.magnum, cluster['uuid'])

        credential, renewal_reason = self.credential(files, cluster, ca_pem, tls_enabled)
        ca_known = not (params['rotate_ca'] and self.check_mode)
        credential_known = credential is not None or not wants_client_certificate(params, tls_enabled)
        planned = files.plan(ca_pem, credential, ca_known=ca_known, credential_known=credential_known)
        creates_directory = bool(params.get('dest')) and not os.path.isdir(params['dest'])
        # The result (and its diff) describes the files as they were found, so it is made before any write.
        result = self.result(cluster, kind, tls_enabled, files, planned, credential, renewal_reason,
                             creates_directory)
        if not self.check_mode:
            if params.get('dest'):
                ensure_directory(params['dest'])
            for item in planned:
                if item.changed:
                    if item.kind == 'merge_into':
                        ensure_directory(os.path.dirname(os.path.abspath(item.path)))
                    write_atomic(item.path, item.content)
        if params['return_content']:
            if kind == SWARM:
                result['content'] = planned[-1].content
            elif ca_known and credential_known:
                result['content'] = kubeconfig.dump(files.kubeconfig_document(ca_pem, credential))
            else:
                result['content'] = None
        return result

    def check_params(self):
        params = self.params
        certificates.key_size_for(params['key_type'], params['key_size'])
        if params['renew_before'] < 0:
            raise CoeError('renew_before must be 0 or more days, not %s.' % params['renew_before'],
                           parameter='renew_before')
        if params['timeout'] <= 0:
            raise CoeError('timeout must be a positive number of seconds, not %s.' % params['timeout'],
                           parameter='timeout')
        certificates.require_cryptography()
        kubeconfig.require_yaml()

    def credential(self, files, cluster, ca_pem, tls_enabled):
        """(credential, renewal_reason): the client certificate and key to write, reused when still good.

        In check mode a credential that would be signed is None: nothing is signed there.
        """
        params = self.params
        if not wants_client_certificate(params, tls_enabled):
            return None, None
        for candidate in files.candidates():
            self.hide(candidate)
        if params['rotate_ca']:
            reason = 'rotate_ca: the CA is replaced, so certificates signed by the old one stop working'
        elif params['force']:
            reason = 'force is true'
        else:
            found, reason = reusable_credential(files.candidates(), ca_pem, params['renew_before'],
                                                params['key_type'], params['key_size'])
            if found is not None:
                return found, None
        if self.check_mode:
            return None, reason
        with self.cloud_call('have Magnum sign a client certificate for cluster %s' % cluster.get('name')):
            credential = sign_new_credential(self.magnum, cluster['uuid'], params['key_type'], params['key_size'])
        self.hide(credential)
        return credential, reason

    def hide(self, credential):
        """Keep a private key out of every output (results, warnings, errors) unless the content was asked for."""
        key_pem = credential.get('key_pem')
        if key_pem and not self.params['return_content']:
            self.module.no_log_values.update(pem_forms(key_pem))

    def result(self, cluster, kind, tls_enabled, files, planned, credential, renewal_reason, creates_directory):
        params = self.params
        changed_files = [item for item in planned if item.changed]
        cert = certificates.load_certificates(credential['cert_pem'])[0] if credential else None
        details = certificates.summary(cert) if cert is not None else None
        if tls_enabled and kind == KUBERNETES:
            auth_mode = params['auth_mode']
        else:
            auth_mode = 'certificate' if tls_enabled else 'none'
        paths = dict((item.kind, item.path) for item in planned)
        result = dict(
            changed=bool(changed_files) or creates_directory or params['rotate_ca'],
            cluster_id=cluster['uuid'],
            cluster_name=cluster.get('name'),
            coe=kind,
            server=cluster['api_address'],
            tls=tls_enabled,
            auth_mode=auth_mode,
            paths=paths,
            written=[item.path for item in changed_files],
            certificate=details,
            certificate_expiry=details['not_after'] if details else None,
            renewed=renewal_reason is not None,
            ca_rotated=bool(params['rotate_ca']),
            diff=self.diff(planned, files.context_name, creates_directory),
        )
        if renewal_reason is not None:
            result['renewal_reason'] = renewal_reason
        if kind == KUBERNETES:
            result['kubeconfig'] = paths.get('kubeconfig') or paths.get('merge_into')
            result['context'] = files.context_name
        return result

    def diff(self, planned, context_name, creates_directory):
        before, after = [], []
        if creates_directory and self.params.get('dest'):
            before.append('%s/: absent' % self.params['dest'].rstrip('/'))
            after.append('%s/: directory (mode 0700)' % self.params['dest'].rstrip('/'))
        for item in planned:
            before.append('%s: %s' % (item.path, item.describe(context_name, before=True)))
            after.append('%s: %s' % (item.path, item.describe(context_name, before=False)))
        return dict(before='\n'.join(before) + '\n', after='\n'.join(after) + '\n')


def main():
    ClusterConfigModule().execute()


if __name__ == '__main__':
    main()
