# -*- coding: utf-8 -*-
"""An in-memory Kubernetes API behind KubeClient, seeded from a cluster fixture under tests/unit/fixtures/kube/.

It answers the paths the storage code uses the way kube-apiserver does (404 Status for missing objects, 409 for
duplicates, 422 for changes of immutable StorageClass fields) and records every request.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

from ansible_collections.coe.magnum.plugins.module_utils.kube_client import KubeClient, KubeUnreachable
from ansible_collections.coe.magnum.plugins.module_utils.storage.class_manifest import apply_patch
from ansible_collections.coe.magnum.tests.unit.data import load

IMMUTABLE_CLASS_FIELDS = ('provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode')


class FakeResponseError(Exception):
    def __init__(self, status, message):
        super(FakeResponseError, self).__init__(message)
        self.status = status
        self.body = json.dumps({'kind': 'Status', 'status': 'Failure', 'message': message, 'code': status})


class FakeCluster:

    def __init__(self, fixture):
        self.git_version = fixture['git_version']
        self.storage_versions = fixture.get('storage_versions', ['v1'])
        self.csidriver_versions = fixture.get('csidriver_versions', [])
        self.csidrivers = set(fixture.get('csidrivers', []))
        self.classes = dict((item['metadata']['name'], item) for item in copy.deepcopy(fixture.get('storageclasses',
                                                                                                   [])))
        self.namespaces = set(fixture.get('namespaces', ['default', 'kube-system']))
        self.claims = dict(('%s/%s' % (item['metadata']['namespace'], item['metadata']['name']), item)
                           for item in copy.deepcopy(fixture.get('claims', [])))
        self.volumes = dict((item['metadata']['name'], item) for item in copy.deepcopy(fixture.get('volumes', [])))
        self.events = fixture.get('events', [])
        # Claims of a class with Immediate binding become Bound on this GET of theirs; None: never.
        self.binds_on_get = fixture.get('binds_on_get', 1)
        self.faults = list(fixture.get('faults', []))
        self.requests = []
        self._claim_gets = {}
        self._serial = 0

    @property
    def writes(self):
        return ['%s %s' % (method, path) for method, path in self.requests if method != 'GET']

    def _fault(self, method, path):
        for fault in self.faults:
            if fault['method'] == method and fault['path'] == path and fault.get('times', 1) > 0:
                fault['times'] = fault.get('times', 1) - 1
                if fault.get('after_acting'):
                    return fault
                if fault['status'] is None:
                    raise KubeUnreachable('Cannot reach the Kubernetes API at fake: connection reset')
                raise FakeResponseError(fault['status'], fault.get('message', 'injected'))
        return None

    def handle(self, method, path, body, query):
        self.requests.append((method, path))
        fault = self._fault(method, path)
        result = self._route(method, path.strip('/').split('/'), copy.deepcopy(body), dict(query or []))
        if fault:
            raise KubeUnreachable('Cannot reach the Kubernetes API at fake: answer lost')
        # kube-apiserver answers JSON: what the client reads is new objects (strings included), never the fake's own.
        return json.loads(json.dumps(result))

    def _uid(self):
        self._serial += 1
        return 'uid-%04d' % self._serial

    def _route(self, method, parts, body, query):
        if parts == ['version']:
            major, minor = self.git_version.lstrip('v').split('.')[:2]
            return {'major': major, 'minor': minor, 'gitVersion': self.git_version}
        if parts[:2] == ['apis', 'storage.k8s.io']:
            return self._storage(method, parts[2:], body)
        if parts[:2] == ['api', 'v1']:
            return self._core(method, parts[2:], body, query)
        raise FakeResponseError(404, 'the server could not find the requested resource')

    def _storage(self, method, parts, body):
        if not self.storage_versions:
            raise FakeResponseError(404, 'the server could not find the requested resource')
        if not parts:
            return {'kind': 'APIGroup', 'name': 'storage.k8s.io',
                    'versions': [{'groupVersion': 'storage.k8s.io/%s' % v, 'version': v}
                                 for v in self.storage_versions]}
        version = parts[0]
        if version not in self.storage_versions:
            raise FakeResponseError(404, 'the server could not find the requested resource')
        if len(parts) == 1:
            resources = [{'name': 'storageclasses', 'kind': 'StorageClass', 'namespaced': False}]
            if version in self.csidriver_versions:
                resources.append({'name': 'csidrivers', 'kind': 'CSIDriver', 'namespaced': False})
            return {'kind': 'APIResourceList', 'groupVersion': 'storage.k8s.io/%s' % version, 'resources': resources}
        if parts[1] == 'csidrivers' and version in self.csidriver_versions:
            if parts[2] not in self.csidrivers:
                raise FakeResponseError(404, 'csidrivers.storage.k8s.io "%s" not found' % parts[2])
            return {'kind': 'CSIDriver', 'metadata': {'name': parts[2]}, 'spec': {}}
        if parts[1] != 'storageclasses':
            raise FakeResponseError(404, 'the server could not find the requested resource')
        api_version = 'storage.k8s.io/%s' % version
        if len(parts) == 2:
            if method == 'GET':
                return {'kind': 'StorageClassList', 'apiVersion': api_version,
                        'items': [dict(item, apiVersion=api_version) for item in self.classes.values()]}
            name = body['metadata']['name']
            if name in self.classes:
                raise FakeResponseError(409, 'storageclasses.storage.k8s.io "%s" already exists' % name)
            body['metadata']['uid'] = self._uid()
            # The server fills in the defaults of the fields its version has.
            minor = int(self.git_version.split('.')[1])
            if minor >= 8:
                body.setdefault('reclaimPolicy', 'Delete')
            if minor >= 9:
                body.setdefault('volumeBindingMode', 'Immediate')
            self.classes[name] = body
            return body
        name = parts[2]
        if name not in self.classes:
            raise FakeResponseError(404, 'storageclasses.storage.k8s.io "%s" not found' % name)
        current = self.classes[name]
        if method == 'GET':
            return dict(current, apiVersion=api_version)
        if method == 'DELETE':
            return self.classes.pop(name)
        updated = apply_patch(current, body)
        forbidden = [field for field in IMMUTABLE_CLASS_FIELDS if updated.get(field) != current.get(field)]
        if forbidden:
            raise FakeResponseError(422, 'StorageClass.storage.k8s.io "%s" is invalid: %s: Forbidden: updates to %s '
                                         'are forbidden.' % (name, forbidden[0], forbidden[0]))
        self.classes[name] = updated
        return updated

    def _class_binds(self, claim):
        name = (claim['spec'].get('storageClassName')
                or claim['metadata'].get('annotations', {}).get('volume.beta.kubernetes.io/storage-class'))
        storage_class = self.classes.get(name)
        return storage_class is not None and storage_class.get('volumeBindingMode', 'Immediate') == 'Immediate'

    def _core(self, method, parts, body, query):
        if parts == ['namespaces'] and method == 'POST':
            self.namespaces.add(body['metadata']['name'])
            return body
        if parts[0] == 'persistentvolumes':
            if parts[1] not in self.volumes:
                raise FakeResponseError(404, 'persistentvolumes "%s" not found' % parts[1])
            return self.volumes[parts[1]]
        namespace = parts[1]
        if len(parts) == 2:
            if namespace not in self.namespaces:
                raise FakeResponseError(404, 'namespaces "%s" not found' % namespace)
            return {'kind': 'Namespace', 'metadata': {'name': namespace}, 'status': {'phase': 'Active'}}
        if parts[2] == 'events':
            # The field selector as kube-apiserver reads it: involvedObject.name=<name> matches that name exactly.
            selector = query.get('fieldSelector')
            return {'kind': 'EventList', 'items': [
                event for event in self.events
                if not selector or selector == 'involvedObject.name=%s' % event['involvedObject']['name']]}
        if len(parts) == 3:
            if namespace not in self.namespaces:
                raise FakeResponseError(404, 'namespaces "%s" not found' % namespace)
            key = '%s/%s' % (namespace, body['metadata']['name'])
            if key in self.claims:
                raise FakeResponseError(409, 'persistentvolumeclaims "%s" already exists' % body['metadata']['name'])
            body['metadata']['uid'] = self._uid()
            default = [name for name, item in self.classes.items()
                       if item.get('metadata', {}).get('annotations', {}).get(
                           'storageclass.kubernetes.io/is-default-class') == 'true']
            if 'storageClassName' not in body['spec'] and default:
                body['spec']['storageClassName'] = default[0]
            body['status'] = {'phase': 'Pending'}
            self.claims[key] = body
            return body
        key = '%s/%s' % (namespace, parts[3])
        if key not in self.claims:
            raise FakeResponseError(404, 'persistentvolumeclaims "%s" not found' % parts[3])
        claim = self.claims[key]
        if method == 'DELETE':
            return self.claims.pop(key)
        if method == 'PATCH':
            self.claims[key] = apply_patch(claim, body)
            return self.claims[key]
        self._claim_gets[key] = self._claim_gets.get(key, 0) + 1
        if (claim['status'].get('phase') == 'Pending' and self.binds_on_get is not None
                and self._claim_gets[key] >= self.binds_on_get and self._class_binds(claim)):
            volume = 'pvc-%s' % claim['metadata']['uid']
            claim['spec']['volumeName'] = volume
            claim['status'] = {'phase': 'Bound', 'capacity': dict(claim['spec']['resources']['requests'])}
            self.volumes[volume] = {'metadata': {'name': volume}, 'spec': {'persistentVolumeReclaimPolicy': 'Delete'}}
        return claim


class FakeKubeClient(KubeClient):
    """KubeClient with its transport replaced by a FakeCluster; the retry and lookup logic is the real one."""

    def __init__(self, cluster):
        super(FakeKubeClient, self).__init__(api_client=None, label='https://fake:6443', sleep=lambda seconds: None)
        self.cluster = cluster

    def _send(self, method, path, body, query, content_type):
        try:
            return self.cluster.handle(method, path, body, query)
        except FakeResponseError as exc:
            raise self._failure(method, path, exc.status, exc.body) from None


def fake_cluster(name, **overrides):
    fixture = load('kube/clusters/%s.yml' % name)
    fixture.update(overrides)
    return FakeCluster(fixture)
