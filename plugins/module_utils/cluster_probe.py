# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does the built cluster work: the checks of the cluster_check role that talk to Kubernetes.

Each check gives one result: passed, failed, or not possible here (with the reason), and the throw-away objects live
in a namespace of their own that is removed at the end, whatever happened.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
import uuid

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.kube_client import (
    KubeError,
    KubeUnreachable,
    api_path,
    kube_path,
)
from ansible_collections.coe.magnum.plugins.module_utils.kube_discovery import discover
from ansible_collections.coe.magnum.plugins.module_utils.storage import claim_manifest
from ansible_collections.coe.magnum.plugins.module_utils.storage.class_manifest import is_default
from ansible_collections.coe.magnum.plugins.module_utils.waiter import Waiter, WaitTimeout

PASSED, FAILED, NOT_POSSIBLE, SKIPPED, PLANNED = 'passed', 'failed', 'not possible here', 'skipped', 'would test'
CHECKS = (
    ('api', 'the API answers with the kubeconfig'),
    ('nodes', 'every node asked for is Ready'),
    ('default_storage_class', 'exactly one default StorageClass'),
    ('claim', 'a throw-away claim binds, and is deleted with its volume'),
    ('workload', 'an example Deployment and NodePort Service become available'),
    ('cleanup', 'nothing is left behind'),
)
NAMESPACE_LABEL = 'coe.magnum/cluster-check'


def result(name, status, message):
    return dict(name=name, status=status, message=message)


def planned(params):
    """What a run would test, for check mode: no request is made."""
    texts = dict(CHECKS)
    texts['nodes'] = '%d node(s) Ready' % params['expected_nodes']
    return [result(name, PLANNED, texts[name]) for name, _text in CHECKS
            if params['storage'] or name not in ('default_storage_class', 'claim')
            if params['claim'] or name != 'claim'
            if params['workload'] or name != 'workload']


def outcome(checks):
    """The module's result: one line per check; a CoeError naming the failed checks when any failed."""
    summary = ['%s: %s' % (check['status'], check['message']) for check in checks]
    failed = [check for check in checks if check['status'] == FAILED]
    if failed:
        raise CoeError('The cluster check failed: %s' % '; '.join(check['message'] for check in failed),
                       checks=checks, summary=summary)
    return dict(changed=False, checks=checks, summary=summary)


class ClusterProbe:
    def __init__(self, client, params, sleep=time.sleep, clock=time.monotonic):
        self.client = client
        self.params = params
        self.sleep = sleep
        self.clock = clock
        self.namespace = '%s-%s' % (params['namespace_prefix'], uuid.uuid4().hex[:6])
        self.namespace_made = False
        self.facts = None

    def _wait(self, poll, state_of, is_done, describe, timeout=None):
        waiter = Waiter(self.params['timeout'] if timeout is None else timeout, initial_interval=1.0,
                        max_interval=5.0, clock=self.clock, sleep=self.sleep)
        return waiter.wait(poll, state_of, is_done, describe=describe)

    def run(self):
        results = [self.check_api()]
        if results[0]['status'] != PASSED:
            reason = 'because the API does not answer'
            return results + [result(name, SKIPPED, reason) for name, _text in CHECKS[1:]]
        results.append(self._guarded('nodes', self.check_nodes))
        if self.params['storage']:
            results.append(self._guarded('default_storage_class', self.check_default_storage_class))
        try:
            if self.params['storage'] and self.params['claim']:
                results.append(self._guarded('claim', self.check_claim, results[-1]))
            if self.params['workload']:
                results.append(self._guarded('workload', self.check_workload))
        finally:
            results.append(self.cleanup())
        return results

    @staticmethod
    def _guarded(name, check, *args):
        """A check whose request fails is a failed check, and the others still run."""
        try:
            return check(*args)
        except CoeError as exc:
            return result(name, FAILED, exc.msg)

    def check_api(self):
        try:
            self.facts = discover(self.client)
        except KubeUnreachable as exc:
            return result('api', FAILED, 'the API does not answer: %s' % exc.msg)
        except KubeError as exc:
            return result('api', FAILED, 'the API answers with an error: %s' % exc.msg)
        return result('api', PASSED, 'Kubernetes %s answers at %s' % (self.facts.git_version, self.client.label))

    def check_nodes(self):
        nodes = self.client.get('/api/v1/nodes').get('items') or []
        ready = [node['metadata']['name'] for node in nodes if _is_ready(node)]
        expected = self.params['expected_nodes']
        message = '%d of %d node(s) Ready, %d asked for' % (len(ready), len(nodes), expected)
        if len(ready) != expected:
            not_ready = sorted(set(n['metadata']['name'] for n in nodes) - set(ready))
            return result('nodes', FAILED, message + (' (not Ready: %s)' % ', '.join(not_ready) if not_ready else ''))
        return result('nodes', PASSED, message)

    def _storage_classes(self):
        return self.client.get(api_path(self.facts.storage_api_version, 'storageclasses')).get('items') or []

    def check_default_storage_class(self):
        if self.facts.storage_api_version is None:
            return result('default_storage_class', FAILED, 'Kubernetes %s serves no StorageClass API'
                          % self.facts.git_version)
        defaults = [sc['metadata']['name'] for sc in self._storage_classes() if is_default(sc, self.facts)]
        if len(defaults) == 1:
            return result('default_storage_class', PASSED, 'the default StorageClass is %s' % defaults[0])
        if not defaults:
            return result('default_storage_class', FAILED, 'no StorageClass is marked default: claims without a '
                          'class stay Pending')
        return result('default_storage_class', FAILED, '%d StorageClasses are marked default (%s): Kubernetes '
                      'refuses claims without a class, or picks one of them' % (len(defaults), ', '.join(defaults)))

    def _ensure_namespace(self):
        if not self.namespace_made:
            self.client.create('/api/v1/namespaces', {
                'apiVersion': 'v1', 'kind': 'Namespace',
                'metadata': {'name': self.namespace, 'labels': {NAMESPACE_LABEL: 'true'}}})
            self.namespace_made = True

    def check_claim(self, default_class_result):
        if default_class_result['status'] != PASSED:
            return result('claim', SKIPPED, 'because there is no single default StorageClass')
        default = next(sc for sc in self._storage_classes() if is_default(sc, self.facts))
        if default.get('volumeBindingMode') == 'WaitForFirstConsumer':
            return result('claim', NOT_POSSIBLE, 'because the default StorageClass %s '
                          'binds claims only for their first consumer, a pod' % default['metadata']['name'])
        self._ensure_namespace()
        name = 'cluster-check-claim'
        claim = dict(name=name, namespace=self.namespace, size=self.params['claim_size'],
                     access_modes=['ReadWriteOnce'])
        path = kube_path('/api/v1/namespaces', self.namespace, 'persistentvolumeclaims')
        self.client.create(path, claim_manifest.build(claim, None, self.facts))
        started = self.clock()
        try:
            bound = self._wait(lambda: self.client.get(kube_path(path, name)),
                               lambda obj: claim_manifest.phase_of(obj) or 'Pending',
                               lambda obj: claim_manifest.phase_of(obj) == 'Bound',
                               'the throw-away claim to become Bound')
        except WaitTimeout:
            event = self.client.latest_event(self.namespace, name)
            return result('claim', FAILED, 'a %s claim of class %s did not bind within %d s%s' % (
                self.params['claim_size'], default['metadata']['name'], self.params['timeout'],
                ' (latest event: %s)' % event if event else ''))
        bound_after = self.clock() - started
        volume = bound['spec'].get('volumeName')
        self.client.delete(kube_path(path, name))
        message = 'a %s claim of class %s bound in %.0f s' % (
            self.params['claim_size'], default['metadata']['name'], bound_after)
        if default.get('reclaimPolicy', 'Delete') != 'Delete':
            return result('claim', PASSED, message + '; the class keeps volumes (reclaimPolicy %s), so its volume %s '
                          'stays' % (default.get('reclaimPolicy'), volume))
        try:
            self._wait(lambda: self.client.find(kube_path('/api/v1/persistentvolumes', volume)),
                       lambda obj: 'present' if obj else 'deleted', lambda obj: obj is None,
                       'the claim\'s volume %s to be deleted' % volume)
        except WaitTimeout:
            return result('claim', FAILED, message + ', but its volume %s was not deleted within %d s'
                          % (volume, self.params['timeout']))
        return result('claim', PASSED, message + ', then deleted with its volume %s' % volume)

    def check_workload(self):
        apps = self.client.find('/apis/apps/v1')
        resources = [r.get('name') for r in (apps or {}).get('resources') or []]
        if 'deployments' not in resources:
            return result('workload', NOT_POSSIBLE, 'because the cluster\'s API serves no '
                          'apps/v1 Deployments (an API without workload controllers, such as an emulated cluster)')
        self._ensure_namespace()
        name = 'cluster-check'
        labels = {'app.kubernetes.io/name': name}
        self.client.create(kube_path('/apis/apps/v1/namespaces', self.namespace, 'deployments'), {
            'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': name, 'labels': labels},
            'spec': {'replicas': 1, 'selector': {'matchLabels': labels}, 'template': {
                'metadata': {'labels': labels},
                'spec': {'containers': [{'name': name, 'image': self.params['image'], 'args': self.params['args'],
                                         'ports': [{'containerPort': self.params['container_port']}]}]}}}})
        service = self.client.create(kube_path('/api/v1/namespaces', self.namespace, 'services'), {
            'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': name},
            'spec': {'type': 'NodePort', 'selector': labels,
                     'ports': [{'port': self.params['container_port'],
                                'targetPort': self.params['container_port']}]}})
        node_port = ((service.get('spec') or {}).get('ports') or [{}])[0].get('nodePort')
        started = self.clock()
        deployment = kube_path('/apis/apps/v1/namespaces', self.namespace, 'deployments', name)
        try:
            self._wait(lambda: self.client.get(deployment),
                       lambda obj: '%s available' % ((obj.get('status') or {}).get('availableReplicas') or 0),
                       lambda obj: ((obj.get('status') or {}).get('availableReplicas') or 0) >= 1,
                       'the example Deployment to become available')
        except WaitTimeout:
            return result('workload', FAILED, 'the example Deployment (image %s) did not become available within '
                          '%d s' % (self.params['image'], self.params['timeout']))
        endpoints = self.client.find(kube_path('/api/v1/namespaces', self.namespace, 'endpoints', name)) or {}
        addresses = [a for subset in endpoints.get('subsets') or [] for a in subset.get('addresses') or []]
        if not node_port or not addresses:
            return result('workload', FAILED, 'the Deployment is available, but its NodePort Service has %s'
                          % ('no node port' if not node_port else 'no ready endpoint'))
        return result('workload', PASSED, 'the example Deployment was available in %.0f s behind NodePort %s'
                      % (self.clock() - started, node_port))

    def cleanup(self):
        if not self.namespace_made:
            return result('cleanup', PASSED, 'nothing was made')
        path = kube_path('/api/v1/namespaces', self.namespace)
        try:
            self.client.delete(path)
            self._wait(lambda: self.client.find(path), lambda obj: 'present' if obj else 'deleted',
                       lambda obj: obj is None, 'the namespace %s to be deleted' % self.namespace)
        except (CoeError, WaitTimeout) as exc:
            return result('cleanup', FAILED, 'the namespace %s is left behind: %s' % (self.namespace, exc.msg))
        return result('cleanup', PASSED, 'the namespace %s and everything in it are deleted' % self.namespace)


def _is_ready(node):
    return any(condition.get('type') == 'Ready' and condition.get('status') == 'True'
               for condition in (node.get('status') or {}).get('conditions') or [])
