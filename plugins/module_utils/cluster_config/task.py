# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The access files of a cluster (kubeconfig or certificates): what to write, what to reuse, and the result."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.coe.magnum.plugins.module_utils import certificates, kubeconfig
from ansible_collections.coe.magnum.plugins.module_utils.cluster_config.access import (
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
from ansible_collections.coe.magnum.plugins.module_utils.prefetch import answer_of
from ansible_collections.coe.magnum.plugins.module_utils.redaction import pem_forms
from ansible_collections.coe.magnum.plugins.module_utils.validation import check_cluster_name


class ClusterConfig:
    """One task's access files for one cluster. run() returns the module result.

    cloud_call(action) is the module's context manager that turns client errors into messages naming the action;
    keep_secret(values) keeps values out of every output of the module.
    """

    def __init__(self, magnum, resolver, cloud_call, keep_secret, params, check_mode=False):
        self.magnum = magnum
        self.resolver = resolver
        self.cloud_call = cloud_call
        self._keep_secret = keep_secret
        self.params = params
        self.check_mode = check_mode

    def run(self):
        params = self.params
        self.check_params()
        with self.cloud_call('look up cluster %r' % params['cluster']):
            check_cluster_name(params['cluster'], 'cluster')
            # Magnum's certificate API takes the cluster's name or ID: the CA read goes ahead while the cluster is
            # looked up (not before a rotation, which replaces the CA).
            ca_ahead = None if params['rotate_ca'] else self.magnum.read_ahead('certificates', params['cluster'])
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
                ca_pem = fetch_ca(self.magnum, cluster['uuid'], read_ahead=answer_of(ca_ahead))

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
            self._keep_secret(pem_forms(key_pem))

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
