# -*- coding: utf-8 -*-
"""Every path builder of the gateways escapes the names it puts in a URL, and names no path can carry are looked up
by listing: a lookup finds exactly the name asked for, or nothing."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from types import SimpleNamespace

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.heat import stack_path
from ansible_collections.coe.magnum.plugins.module_utils.kube_client import api_path, kube_path
from ansible_collections.coe.magnum.plugins.module_utils.magnum_api import path_of
from ansible_collections.coe.magnum.plugins.module_utils.resolve import Resolver
from ansible_collections.coe.magnum.plugins.module_utils.storage.reconcile import StorageReconciler
from ansible_collections.coe.magnum.tests.unit.fakes import FakeCloud, FakeResource

# The names Magnum accepts for templates that a careless path turns into another one (the template `web`).
ODD_NAMES = ['web#2', 'web?x', 'web/../web', 'we%62', 'web ', u'w\u00e9b', '..', 'web%2Fweb']


@pytest.mark.parametrize('segments,path', [
    (('clustertemplates', 'web#2'), '/clustertemplates/web%232'),
    (('clustertemplates', 'web?x'), '/clustertemplates/web%3Fx'),
    (('clustertemplates', 'we%62'), '/clustertemplates/we%2562'),
    (('clustertemplates', 'web '), '/clustertemplates/web%20'),
    (('clustertemplates', u'w\u00e9b'), '/clustertemplates/w%C3%A9b'),
    (('clusters', 'c-1', 'actions', 'resize'), '/clusters/c-1/actions/resize'),
    (('certificates', 'u#1'), '/certificates/u%231'),
])
def test_magnum_paths_escape_every_segment(segments, path):
    assert path_of(*segments) == path


@pytest.mark.parametrize('segment', ['web/../web', 'a/b', '.', '..', ''])
def test_magnum_paths_refuse_what_magnum_would_route_elsewhere(segment):
    """Magnum's router decodes %2F before splitting the path; `..` is resolved by HTTP stacks."""
    with pytest.raises(CoeError, match='cannot be part of a Magnum URL'):
        path_of('clustertemplates', segment)


def test_get_patch_and_delete_escape_the_identifier():
    cloud = FakeCloud()
    cloud.http.add('clusters', name='a')
    magnum = cloud.magnum
    for call in (lambda: magnum.get('clusters', 'a#b'), lambda: magnum.patch('clusters', 'a#b', []),
                 lambda: magnum.delete('clusters', 'a#b')):
        with pytest.raises(Exception, match='could not be found'):
            call()
    assert [r[:2] for r in cloud.http.requests] == [
        ('GET', '/clusters/a%23b'), ('PATCH', '/clusters/a%23b'), ('DELETE', '/clusters/a%23b')]


class RecordingHttp:
    def __init__(self):
        self.api_version = '1.1'
        self.requests = []

    def json_request(self, method, url, body=None):
        self.requests.append((method, url))
        return None, {'nodegroups': []}


def test_node_groups_actions_and_ca_rotation_escape_the_cluster():
    from ansible_collections.coe.magnum.plugins.module_utils.magnum_api import MagnumApi
    http = RecordingHttp()
    magnum = MagnumApi(None, http=http)
    magnum.list_nodegroups('u?1')
    magnum.cluster_action('u?1', 'resize', {'node_count': 2})
    magnum.rotate_ca('u?1')
    magnum.list('clusters', name='a b&c=d')
    assert http.requests == [('GET', '/clusters/u%3F1/nodegroups'), ('POST', '/clusters/u%3F1/actions/resize'),
                             ('PATCH', '/certificates/u%3F1'), ('GET', '/clusters/detail?name=a+b%26c%3Dd')]


@pytest.mark.parametrize('name', ODD_NAMES)
def test_an_odd_template_name_never_finds_web(name):
    cloud = FakeCloud()
    cloud.http.add('clustertemplates', name='web')
    resolver = Resolver(cloud.connection, cloud.magnum)
    assert resolver.magnum_get('cluster_template', name, 'name') is None
    assert cloud.http.mutating_requests() == []


@pytest.mark.parametrize('name', ODD_NAMES)
def test_an_odd_template_name_finds_exactly_itself(name):
    cloud = FakeCloud()
    cloud.http.add('clustertemplates', name='web')
    made = cloud.http.add('clustertemplates', name=name)
    resolver = Resolver(cloud.connection, cloud.magnum)
    assert resolver.magnum_get('cluster_template', name, 'name')['uuid'] == made['uuid']


def test_names_no_path_can_carry_are_listed_and_duplicates_named():
    cloud = FakeCloud()
    cloud.http.add('clustertemplates', name='a/b')
    cloud.http.add('clustertemplates', name='a/b')
    with pytest.raises(CoeError, match="Several cluster templates are named 'a/b'"):
        Resolver(cloud.connection, cloud.magnum).magnum_get('cluster_template', 'a/b', 'name')
    assert [r[1] for r in cloud.http.requests] == ['/clustertemplates/detail']


@pytest.mark.parametrize('name', ['web#2', 'web?x', 'web/../web', 'we%62', 'web ', u'w\u00e9b', '1web', 'a' * 243])
def test_cluster_names_magnum_refuses_are_refused_before_any_request(name):
    cloud = FakeCloud()
    cloud.http.add('clusters', name='web')
    with pytest.raises(CoeError) as raised:
        Resolver(cloud.connection, cloud.magnum).magnum_get('cluster', name, 'cluster')
    assert '^[a-zA-Z][a-zA-Z0-9_.-]*$' in raised.value.msg and '`cluster`' in raised.value.msg
    assert cloud.http.requests == []


def test_cluster_uuids_and_magnum_names_are_looked_up():
    cloud = FakeCloud()
    made = cloud.http.add('clusters', name='web.v2_a-b')
    resolver = Resolver(cloud.connection, cloud.magnum)
    assert resolver.magnum_get('cluster', 'web.v2_a-b')['uuid'] == made['uuid']
    assert resolver.magnum_get('cluster', made['uuid'])['uuid'] == made['uuid']


def test_heat_stack_paths_escape_names_and_ids():
    assert stack_path('k8s#1', 'id?2', 'resources') == '/stacks/k8s%231/id%3F2/resources'


def test_kubernetes_paths_escape_names():
    assert kube_path('/api/v1/namespaces', 'a/b') + '/persistentvolumeclaims' == \
        '/api/v1/namespaces/a%2Fb/persistentvolumeclaims'
    assert kube_path('/apis/storage.k8s.io/v1/storageclasses', 'std#1') == \
        '/apis/storage.k8s.io/v1/storageclasses/std%231'


def test_api_paths_put_the_core_group_under_api_and_the_others_under_apis():
    assert api_path('v1', 'namespaces', 'a/b', 'events') == '/api/v1/namespaces/a%2Fb/events'
    assert api_path('storage.k8s.io/v1beta1', 'storageclasses', 'std#1') == \
        '/apis/storage.k8s.io/v1beta1/storageclasses/std%231'
    assert api_path('storage.k8s.io/v1', 'storageclasses') == '/apis/storage.k8s.io/v1/storageclasses'


@pytest.mark.parametrize('name, segment', [
    ('web#2', 'web%232'), ('web?x', 'web%3Fx'), ('web/../web', 'web%2F..%2Fweb'), ('we%62', 'we%2562'),
    ('web ', 'web%20'), (u'w\u00e9b', 'w%C3%A9b'),
])
def test_every_kubernetes_path_builder_escapes_each_name(name, segment):
    reconciler = StorageReconciler(None, {})
    reconciler.facts = SimpleNamespace(storage_api_version='storage.k8s.io/v1')
    assert reconciler.class_path(name) == '/apis/storage.k8s.io/v1/storageclasses/' + segment
    assert reconciler.claims_path(name) == '/api/v1/namespaces/%s/persistentvolumeclaims' % segment
    assert reconciler.claim_path({'namespace': name, 'name': name}) == \
        '/api/v1/namespaces/%s/persistentvolumeclaims/%s' % (segment, segment)


@pytest.mark.parametrize('name', ['', '.', '..'])
def test_names_a_url_resolves_away_are_refused(name):
    """urllib3 removes dot segments (.../namespaces/.. would read /api/v1) and an empty name is the collection."""
    with pytest.raises(CoeError, match='cannot be the name of a Kubernetes object'):
        kube_path('/api/v1/namespaces', name)


def test_the_kubernetes_client_sends_a_plain_path_unescaped():
    """Why kube_path escapes: the client quotes the path parameters of its typed APIs only."""
    from kubernetes.client import ApiClient, Configuration
    configuration = Configuration(host='https://k:6443')
    _method, url, _headers, _body, _post = ApiClient(configuration).param_serialize(
        'GET', '/api/v1/namespaces/a#b', header_params={})
    assert url == 'https://k:6443/api/v1/namespaces/a#b'
    _method, url, _headers, _body, _post = ApiClient(configuration).param_serialize(
        'GET', '/api/v1/namespaces/{name}', path_params={'name': 'a#b'}, header_params={})
    assert url == 'https://k:6443/api/v1/namespaces/a%23b'


def test_openstacksdk_puts_an_id_in_the_path_as_it_is():
    """Why the resolver lists for such names: openstacksdk joins IDs into paths without escaping them."""
    from openstack import utils
    assert utils.urljoin('networks', 'web#2') == 'networks/web#2'


class ListingOnlyProxy:
    """A proxy whose finders must not be used: a find would GET /networks/<name>, which '#' cuts short."""

    def __init__(self, items):
        self.items = items

    def networks(self):
        return [FakeResource(item) for item in self.items]

    def find_network(self, name_or_id, ignore_missing=True):
        raise AssertionError('find_network(%r) would put the name in a path' % name_or_id)


@pytest.mark.parametrize('name', ['web#2', 'web?x', 'we%62', 'web/../web'])
def test_openstacksdk_lookups_of_odd_names_list_and_compare_exactly(name):
    cloud = FakeCloud()
    cloud.connection.network = ListingOnlyProxy([{'id': 'net-web', 'name': 'web'}])
    resolver = Resolver(cloud.connection, cloud.magnum)
    with pytest.raises(CoeError, match='No network named or with ID'):
        resolver.find('network', name, 'fixed_network')
    cloud.connection.network.items.append({'id': 'net-odd', 'name': name})
    assert Resolver(cloud.connection, cloud.magnum).find('network', name, 'fixed_network')['id'] == 'net-odd'
