# -*- coding: utf-8 -*-
"""In-memory stand-ins for the cloud, for unit tests of module logic (integration tests use the real cloud)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import copy
import json
import uuid
from unittest import mock
from urllib.parse import unquote

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19 reads the module's arguments from basic._ANSIBLE_ARGS
    @contextlib.contextmanager
    def patch_module_args(args):
        original = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode('utf-8')
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = original

from ansible_collections.coe.magnum.plugins.module_utils.magnum_api import BASE_VERSION, MagnumApi


class HttpError(Exception):
    """Shaped like python-magnumclient's HTTP exceptions."""

    def __init__(self, status, detail):
        super(HttpError, self).__init__('%s (HTTP %s)' % (detail, status))
        self.http_status = status
        self.details = json.dumps({'errors': [{'status': status, 'detail': detail}]})


class ConnectFailure(Exception):
    """Shaped like keystoneauth's."""


class Response:
    def __init__(self, headers=None):
        self.headers = headers or {}


class FakeMagnumHttp:
    """Magnum's REST API over dicts: lookup by name or UUID, 409 on duplicate names, JSON patch, requests log."""

    def __init__(self, max_version='1.14', referenced_error=True):
        self.api_version = BASE_VERSION
        self.max_version = max_version
        self.collections = {'clustertemplates': {}, 'clusters': {}}
        self.requests = []
        self.referenced_error = referenced_error
        # Methods whose next answer is lost: Magnum acts, then the client's connection is reset.
        self.lost_answers = []

    def add(self, collection, **record):
        record.setdefault('uuid', str(uuid.uuid4()))
        self.collections[collection][record['uuid']] = record
        return record

    def _find(self, collection, ident):
        items = self.collections[collection]
        if ident in items:
            return items[ident]
        named = [r for r in items.values() if r.get('name') == ident]
        if len(named) > 1:
            raise HttpError(409, 'Multiple %s exist with same name %s.' % (collection, ident))
        if not named:
            raise HttpError(404, '%s %s could not be found.' % (collection, ident))
        return named[0]

    def json_request(self, method, url, body=None, **kwargs):
        answer = self._serve(method, url, body)
        if method in self.lost_answers:
            self.lost_answers.remove(method)
            raise ConnectFailure('Unable to establish connection to https://magnum.example.org/v1%s: '
                                 "('Connection aborted.', RemoteDisconnected('Remote end closed connection "
                                 "without response'))" % url)
        return answer

    def _serve(self, method, url, body):
        self.requests.append((method, url, self.api_version))
        # As the request reaches Magnum: requests drops a fragment, the WSGI server decodes the path (an escaped
        # `/` included) and pecan splits it.
        parts = unquote(url.split('#')[0].split('?')[0]).strip('/').split('/')
        if url == '/':
            return Response({'OpenStack-API-Minimum-Version': 'container-infra 1.1',
                             'OpenStack-API-Maximum-Version': 'container-infra %s' % self.max_version}), {}
        collection = parts[0]
        if method == 'GET' and parts[1:] == ['detail']:
            return Response(), {collection: [copy.deepcopy(r) for r in self.collections[collection].values()]}
        if method == 'GET':
            return Response(), copy.deepcopy(self._find(collection, parts[1]))
        if method == 'POST':
            return Response(), copy.deepcopy(self.add(collection, **copy.deepcopy(body)))
        record = self._find(collection, parts[1])
        if method == 'DELETE':
            del self.collections[collection][record['uuid']]
            return Response(), None
        if method == 'PATCH':
            for operation in body:
                path = operation['path'].strip('/').split('/')
                target = record
                for key in path[:-1]:
                    target = target.setdefault(key, {})
                key = path[-1].replace('~1', '/').replace('~0', '~')
                if operation['op'] == 'remove':
                    target.pop(key, None)
                else:
                    target[key] = operation['value']
            return Response(), copy.deepcopy(record)
        raise AssertionError('unexpected request %s %s' % (method, url))

    def mutating_requests(self):
        return [r for r in self.requests if r[0] in ('POST', 'PATCH', 'DELETE', 'PUT')]


class FakeResource(dict):
    def to_dict(self, computed=False):
        return dict(self)


class FakeFinderProxy:
    """An openstacksdk proxy's find_<kind>() over named records; several matches raise DuplicateResource."""

    def __init__(self, resources):
        self._resources = resources

    def __getattr__(self, attribute):
        if not attribute.startswith('find_'):
            raise AttributeError(attribute)
        kind = attribute[len('find_'):]

        def find(name_or_id, ignore_missing=True):
            items = self._resources.get(kind, [])
            by_id = [r for r in items if r['id'] == name_or_id]
            matches = by_id or [r for r in items if r['name'] == name_or_id]
            if len(matches) > 1:
                raise DuplicateResource('More than one %s exists with the name %s' % (kind, name_or_id))
            return FakeResource(matches[0]) if matches else None
        return find


class DuplicateResource(Exception):
    pass


DEFAULT_RESOURCES = {
    'image': [{'id': 'img-coreos', 'name': 'fedora-coreos-40', 'os_distro': 'fedora-coreos'},
              {'id': 'img-atomic', 'name': 'Fedora-Atomic-25', 'os_distro': 'fedora-atomic'},
              {'id': 'img-dup-1', 'name': 'twin', 'os_distro': 'fedora-coreos'},
              {'id': 'img-dup-2', 'name': 'twin', 'os_distro': 'fedora-coreos'},
              {'id': 'img-plain', 'name': 'cirros', 'os_distro': None}],
    'flavor': [{'id': 'fl-small', 'name': 'm1.small'}, {'id': 'fl-io', 'name': 'io.70GB'}],
    'network': [{'id': 'net-public', 'name': 'public'}, {'id': 'net-private', 'name': 'private'}],
    'subnet': [{'id': 'sub-private', 'name': 'private-subnet'}],
    'keypair': [{'id': 'default', 'name': 'default'}],
}


class FakeCatalog:
    """The parts of openstacksdk's CloudRegion and keystoneauth's Session that find a service's endpoint."""

    def __init__(self, services):
        self.services = services

    def get_endpoint(self, service_type=None, interface=None, region_name=None):
        # CloudRegion.get_endpoint(service_type) is a clouds.yaml override (none here); the Session's keyword
        # form reads the catalog and answers None for a service it does not list.
        if interface is None and region_name is None:
            return None
        return 'https://%s.example:443' % service_type if service_type in self.services else None

    def get_interface(self, service_type):
        return 'public'

    def get_region_name(self, service_type):
        return 'RegionOne'


class FakeConnection:
    def __init__(self, resources=None, services=('identity', 'image', 'compute', 'network', 'container-infra')):
        resources = resources or DEFAULT_RESOURCES
        self.image = FakeFinderProxy(resources)
        self.compute = FakeFinderProxy(resources)
        self.network = FakeFinderProxy(resources)
        self.config = self.session = FakeCatalog(set(services))


class FakeCloud:
    """The fakes a module instance needs, wired the way MagnumModule builds the real ones."""

    def __init__(self, max_version='1.14', resources=None, services=None):
        self.http = FakeMagnumHttp(max_version)
        self.connection = FakeConnection(resources, **({'services': services} if services else {}))
        self.magnum = MagnumApi(self.connection, http=self.http)


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super(ModuleExit, self).__init__(result)
        self.result = result
        self.failed = failed


@contextlib.contextmanager
def module_exits(args):
    """The module's arguments set, and exit_json and fail_json raising ModuleExit with the result instead of
    ending the process."""
    def exit_json(module, **result):
        raise ModuleExit(result, False)

    def fail_json(module, **result):
        raise ModuleExit(result, True)

    with patch_module_args(args), \
            mock.patch.object(basic.AnsibleModule, 'exit_json', exit_json), \
            mock.patch.object(basic.AnsibleModule, 'fail_json', fail_json):
        yield


def run_module(module_class, args, cloud, check_mode=False, diff=False):
    """Run a MagnumModule subclass against a FakeCloud; returns (result, failed)."""
    with module_exits(dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)):
        instance = module_class()
        instance._connection = cloud.connection
        instance._magnum = cloud.magnum
        try:
            instance.execute()
        except ModuleExit as done:
            return done.result, done.failed
    raise AssertionError('the module neither exited nor failed')
