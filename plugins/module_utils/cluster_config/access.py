# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Access to a cluster, as `magnum cluster-config` gives it: which files to write, and with which credential."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shlex
import time

from ansible_collections.coe.magnum.plugins.module_utils import certificates, kubeconfig
from ansible_collections.coe.magnum.plugins.module_utils.cluster.model import is_busy
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.files import PRIVATE_FILE_MODE, mode_of, read_text
from ansible_collections.coe.magnum.plugins.module_utils.retry import call_with_retries, send_confirmed

# Statuses in which the cluster's API serves and Magnum signs (the ones Magnum allows a CA rotation from).
READY_STATUSES = frozenset((
    'CREATE_COMPLETE', 'UPDATE_COMPLETE', 'RESUME_COMPLETE', 'RESTORE_COMPLETE', 'ROLLBACK_COMPLETE',
    'SNAPSHOT_COMPLETE', 'CHECK_COMPLETE', 'ADOPT_COMPLETE',
))
KUBERNETES = 'kubernetes'
# Magnum's API answers a rotation once its conductor has replaced the CA, so a rotation done shows at once; the
# pause covers a busy conductor.
ROTATION_SETTLE_SECONDS = 30.0
SWARM = 'swarm'
COE_KINDS = {'kubernetes': KUBERNETES, 'swarm': SWARM, 'swarm-mode': SWARM}
FILE_NAMES = {
    'kubeconfig': 'config',
    'ca': 'ca.pem',
    'cert': 'cert.pem',
    'key': 'key.pem',
    'docker_env': 'docker.env',
}


def require_ready(cluster):
    """Fail with the cluster's status and reason unless its API can be reached and certificates signed."""
    name = cluster.get('name') or cluster.get('uuid')
    status = cluster.get('status')
    if status not in READY_STATUSES:
        reason = cluster.get('status_reason')
        raise CoeError('Cluster %s is %s%s; its configuration can be fetched once it is CREATE_COMPLETE or '
                       'UPDATE_COMPLETE (coe.magnum.magnum_cluster waits for that).'
                       % (name, status, ' (%s)' % reason if reason else ''), parameter='cluster', status=status)
    if not cluster.get('api_address'):
        raise CoeError('Cluster %s is %s but Magnum does not know its API address yet (api_address is empty).'
                       % (name, status), parameter='cluster', status=status)


def coe_kind(template, cluster):
    coe = template.get('coe')
    if coe not in COE_KINDS:
        raise CoeError('Cluster %s runs %s; configuration can be written for kubernetes and swarm clusters only.'
                       % (cluster.get('name'), coe), parameter='cluster', coe=coe)
    return COE_KINDS[coe]


def check_options(params, kind, tls_enabled, cluster_name):
    """Refuse option combinations that make no sense for this cluster, before anything is changed."""
    if kind == SWARM:
        for option, label, unusable in (('merge_into', 'merge_into', params.get('merge_into')),
                                        ('auth_mode', 'auth_mode=keystone', params.get('auth_mode') == 'keystone')):
            if unusable:
                raise CoeError('%s is for Kubernetes clusters; %s is a Swarm cluster.' % (label, cluster_name),
                               parameter=option)
    if params.get('rotate_ca') and not tls_enabled:
        raise CoeError('rotate_ca: cluster %s has TLS disabled, so it has no CA to rotate.' % cluster_name,
                       parameter='rotate_ca')


def entry_names(params, cluster_name):
    """Names of the kubeconfig cluster, user and context; unique per cluster so that merged files keep them apart."""
    user_prefix = 'openstackuser' if params.get('auth_mode') == 'keystone' else 'admin'
    return (params.get('cluster_name') or cluster_name,
            params.get('user_name') or '%s@%s' % (user_prefix, cluster_name),
            params.get('context_name') or cluster_name)


def file_paths(dest):
    return dict((kind, os.path.join(dest, name)) for kind, name in FILE_NAMES.items()) if dest else {}


def wants_client_certificate(params, tls_enabled):
    return tls_enabled and params.get('auth_mode') != 'keystone'


def reusable_credential(candidates, ca_pem, renew_before_days, key_type, key_size, now=None):
    """(credential, None) for the first candidate still good to use, else (None, why the first one is not).

    Candidates are dicts with cert_pem, key_pem and source (where they were read from), in order of preference.
    """
    first_reason = None
    for candidate in candidates:
        if not candidate.get('cert_pem') and not candidate.get('key_pem'):
            continue
        reason = certificates.assess_client_credential(candidate.get('cert_pem'), candidate.get('key_pem'), ca_pem,
                                                       renew_before_days, key_type, key_size, now=now)
        if reason is None:
            return candidate, None
        first_reason = first_reason or '%s: %s' % (candidate['source'], reason)
    return None, first_reason or 'there is no client certificate yet'


def sign_new_credential(magnum, cluster_uuid, key_type, key_size, sleep=time.sleep):
    """A new key, and its certificate as the cluster's CA signs it (CN=admin, O=system:masters).

    Signing creates nothing in Magnum, so a request whose answer was lost is simply sent again.
    """
    key = certificates.generate_private_key(key_type, key_size)
    csr = certificates.certificate_signing_request(key)
    signed = call_with_retries(lambda: magnum.create('certificates', {'cluster_uuid': cluster_uuid, 'csr': csr}),
                               sleep=sleep)
    cert_pem = _pem_text((signed or {}).get('pem'))
    if not certificates.load_certificates(cert_pem):
        raise CoeError('Magnum answered the signing request for cluster %s without a certificate.' % cluster_uuid)
    return {'cert_pem': cert_pem, 'key_pem': certificates.private_key_pem(key), 'source': 'new'}


def fetch_ca(magnum, cluster_uuid, sleep=time.sleep, read_ahead=None):
    """The cluster's CA; `read_ahead` is an answer of GET /certificates/<cluster name or ID> sent before the
    cluster was found, taken only when it is this cluster's."""
    ca_pem = None
    if isinstance(read_ahead, dict) and read_ahead.get('cluster_uuid') == cluster_uuid:
        ca_pem = _pem_text(read_ahead.get('pem'))
    if not ca_pem or not certificates.load_certificates(ca_pem):
        ca_pem = _pem_text((magnum.get('certificates', cluster_uuid, sleep=sleep) or {}).get('pem'))
    if not certificates.load_certificates(ca_pem):
        raise CoeError('Magnum returned no CA certificate for cluster %s.' % cluster_uuid)
    return ca_pem


def rotate_ca(magnum, cluster, watch, settle_seconds=ROTATION_SETTLE_SECONDS):
    """Have Magnum replace the cluster's CA (API 1.5); returns the cluster once it has finished the update.

    Every rotation replaces the CA, so one is never sent twice: after an answer that leaves the outcome unknown
    (lost, a 5xx, a timeout) a CA other than the one before, or the cluster busy updating, is the rotation done.
    """
    before = fetch_ca(magnum, cluster['uuid'], sleep=watch.sleep)

    def rotated():
        record = watch.fetch(cluster['uuid'])
        if record is not None and is_busy(record.get('status')):
            return True
        return True if fetch_ca(magnum, cluster['uuid'], sleep=watch.sleep) != before else None

    with magnum.at('ca_rotation'):
        send_confirmed(lambda: magnum.rotate_ca(cluster['uuid']), rotated, settle_seconds=settle_seconds,
                       sleep=watch.sleep, clock=watch.clock)
    return watch.until_updated(cluster, 'CA rotation')


def docker_env(server, cert_dir, tls_enabled):
    """The environment the docker CLI needs, as `magnum cluster-config` prints it for Swarm clusters."""
    lines = ['export DOCKER_HOST=%s' % shlex.quote(server)]
    if tls_enabled:
        lines.append('export DOCKER_CERT_PATH=%s' % shlex.quote(cert_dir))
        lines.append('export DOCKER_TLS_VERIFY=1')
    return '\n'.join(lines) + '\n'


def _pem_text(pem):
    """PEM text ending with one newline, as files and comparisons want it (Magnum strips the last one)."""
    return pem.strip() + '\n' if pem else pem


def existing_credentials(documents, context_name, cert_text, key_text):
    """Client certificates and keys already written, as reuse candidates: kubeconfigs first, then the PEM files.

    A kubeconfig is read at the wanted context, else at its current one (dest's own file under an earlier
    context name); a certificate found there is only reused when the cluster's CA signed it.
    """
    candidates = []
    for source, document in documents:
        for name in dict.fromkeys((context_name, (document or {}).get('current-context'))):
            access = kubeconfig.access_of(document, name)
            if access['client_cert_pem']:
                candidates.append({'cert_pem': access['client_cert_pem'], 'key_pem': access['client_key_pem'],
                                   'source': source})
                break
    candidates.append({'cert_pem': cert_text, 'key_pem': key_text, 'source': 'cert.pem and key.pem'})
    return candidates


class PlannedFile:
    """One file to manage: its current text and the content it should have.

    `wanted` is a kubeconfig mapping or a text; None means new content that check mode cannot know (a
    certificate it did not have signed, a CA it did not rotate), which always counts as a change.
    """

    def __init__(self, kind, path, current_text, wanted):
        self.kind = kind
        self.path = path
        self.current_text = current_text
        self.wanted = wanted
        self.changed = (wanted is None or current_text is None or not self._same_content()
                        or mode_of(path) != PRIVATE_FILE_MODE)

    def _same_content(self):
        if isinstance(self.wanted, dict):
            try:
                return kubeconfig.parse(self.current_text, self.path, self.kind) == self.wanted
            except CoeError:
                return False
        return self.current_text.strip() == self.wanted.strip()

    @property
    def content(self):
        if isinstance(self.wanted, dict):
            return kubeconfig.dump(self.wanted)
        return self.wanted

    def describe(self, context_name, before):
        """One line about the file for the diff, with no key material."""
        if before and self.current_text is None:
            return 'absent'
        if not before and self.wanted is None:
            return 'written with new credentials'
        text = self.current_text if before else self.content
        mode = mode_of(self.path) if before else PRIVATE_FILE_MODE
        return '%s (mode %04o)' % (_summary(self.kind, text, context_name), mode or 0)


def _summary(kind, text, context_name):
    if kind in ('kubeconfig', 'merge_into'):
        try:
            access = kubeconfig.access_of(kubeconfig.parse(text, '', kind), context_name)
        except CoeError:
            return 'not a kubeconfig'
        if access['server'] is None:
            return 'no context %s' % context_name
        parts = ['context %s' % context_name, 'server %s' % access['server']]
        certs = certificates.load_certificates(access['client_cert_pem'])
        if certs:
            parts.append('client certificate valid until %s' % certificates.summary(certs[0])['not_after'])
        elif access['exec']:
            parts.append('Keystone token from OS_TOKEN')
        return ', '.join(parts)
    if kind in ('ca', 'cert'):
        certs = certificates.load_certificates(text)
        if not certs:
            return 'no certificate'
        details = certificates.summary(certs[0])
        return '%s, valid until %s, SHA-256 %s' % (details['subject'], details['not_after'],
                                                   details['fingerprint_sha256'][:16])
    if kind == 'key':
        key = certificates.load_private_key(text)
        return 'private key (%s %s)' % certificates.describe_key(key) if key is not None else 'no private key'
    return ' '.join(text.split())


class AccessFiles:
    """The files that give access to one cluster, as they are and as they should be."""

    def __init__(self, params, cluster, kind, tls_enabled, names):
        self.params = params
        self.cluster = cluster
        self.kind = kind
        self.tls_enabled = tls_enabled
        self.cluster_entry, self.user_entry, self.context_name = names
        self.paths = file_paths(params.get('dest'))
        self.merge_into = params.get('merge_into')
        self.texts = dict((kind_, read_text(path)) for kind_, path in self.paths.items())
        self.merge_text = read_text(self.merge_into) if self.merge_into else None
        self.documents = []
        if kind == KUBERNETES:
            if self.paths:
                self.documents.append(('dest config %s' % self.paths['kubeconfig'],
                                       kubeconfig.parse(self.texts['kubeconfig'], self.paths['kubeconfig'], 'dest')))
            if self.merge_into:
                self.documents.append(('merge_into %s' % self.merge_into,
                                       kubeconfig.parse(self.merge_text, self.merge_into, 'merge_into')))

    def candidates(self):
        return existing_credentials(self.documents, self.context_name, self.texts.get('cert'), self.texts.get('key'))

    def kubeconfig_document(self, ca_pem, credential):
        exec_credential = None
        if self.tls_enabled and self.params.get('auth_mode') == 'keystone':
            exec_credential = kubeconfig.keystone_exec_credential()
        return kubeconfig.render(
            self.cluster['api_address'], self.cluster_entry, self.user_entry, self.context_name,
            ca_pem=ca_pem if self.tls_enabled else None,
            client_cert_pem=(credential or {}).get('cert_pem'), client_key_pem=(credential or {}).get('key_pem'),
            exec_credential=exec_credential)

    def plan(self, ca_pem, credential, ca_known=True, credential_known=True):
        """[PlannedFile] in writing order: certificates and key first, the files that refer to them last."""
        planned = []
        certificate_mode = wants_client_certificate(self.params, self.tls_enabled)
        write_pems = self.paths and (self.kind == SWARM or self.params.get('output_certs'))
        if write_pems and self.tls_enabled:
            planned.append(self._file('ca', ca_pem if ca_known else None))
            if certificate_mode:
                planned.append(self._file('key', credential['key_pem'] if credential_known else None))
                planned.append(self._file('cert', credential['cert_pem'] if credential_known else None))
        if self.kind == SWARM:
            planned.append(self._file('docker_env', docker_env(self.cluster['api_address'],
                                                               os.path.abspath(self.params['dest']),
                                                               self.tls_enabled)))
            return planned
        known = ca_known and (credential_known or not certificate_mode)
        document = self.kubeconfig_document(ca_pem, credential) if known else None
        if self.paths:
            planned.append(self._file('kubeconfig', document))
        if self.merge_into:
            existing = self.documents[-1][1]
            planned.append(PlannedFile('merge_into', self.merge_into, self.merge_text,
                                       kubeconfig.merge(existing, document) if known else None))
        return planned

    def _file(self, kind, wanted):
        return PlannedFile(kind, self.paths[kind], self.texts[kind], wanted)
