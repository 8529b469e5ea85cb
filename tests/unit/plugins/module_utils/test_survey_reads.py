# -*- coding: utf-8 -*-
"""survey_reads.py: the cloud survey's Glance, Nova and Cinder reads, with the answers as the services' API
references give them (Glance's relative `next`, Nova's and Cinder's `<collection>_links`, keypairs wrapped in
`{"keypair": ...}`, quota sets in detail, Cinder's 3.62 default type)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.cloud_survey import CloudSurvey
from ansible_collections.coe.magnum.plugins.module_utils.survey_reads import ServiceEndpointNotFound, SurveyReads
from ansible_collections.coe.magnum.tests.unit.neutron_fake import QueuedSession, SessionConnection

GLANCE = 'https://glance.example.org:9292/v2'
NOVA = 'https://nova.example.org:8774/v2.1'
CINDER = 'https://cinder.example.org:8776/v3/project-1'
NEUTRON = 'https://neutron.example.org:9696'
# What keystoneauth's discovery answers per official service type (it matches a catalog's older names, such as
# volumev3 for block-storage, itself: the integration target shows it on the local cloud's catalog).
DISCOVERED = {'image': GLANCE, 'compute': NOVA, 'block-storage': CINDER, 'network': NEUTRON}


class Session(QueuedSession):
    """keystoneauth's session and the CloudRegion as the gateways use them: versioned endpoints by discovery,
    answers queued per (method, URL)."""

    def __init__(self, answers, overrides=None, catalog=None):
        super(Session, self).__init__(answers)
        self.overrides = overrides or {}
        self.catalog = DISCOVERED if catalog is None else catalog
        self.discovered = []

    # CloudRegion's side of the connection
    def get_endpoint(self, service_type=None, interface=None, region_name=None, min_version=None, max_version=None):
        if interface is None and region_name is None and min_version is None:
            return self.overrides.get(service_type)  # CloudRegion.get_endpoint(key): a clouds.yaml override
        self.discovered.append((service_type, min_version, max_version))
        return self.catalog.get(service_type)

    def get_service_type(self, key):
        return key  # openstacksdk's official name of a service the survey names by it

    def get_api_version(self, key):
        return {'image': '2', 'compute': '2', 'block-storage': '3'}.get(key)

    def get_interface(self, key):
        return 'public'

    def get_region_name(self, key):
        return 'RegionOne'


def reads(answers, overrides=None, catalog=None):
    session = Session(answers, overrides, catalog)
    return SurveyReads(SessionConnection(session)), session


def test_images_follow_glances_relative_next_on_the_versioned_endpoint():
    first = {'images': [{'id': 'i1', 'name': 'fcos', 'os_distro': 'fedora-coreos'}],
             'next': '/v2/images?marker=i1&limit=1', 'first': '/v2/images?limit=1'}
    second = {'images': [{'id': 'i2', 'name': 'plain'}], 'first': '/v2/images?limit=1'}
    survey_reads, session = reads({('GET', GLANCE + '/images'): [(200, first)],
                                   ('GET', GLANCE + '/images?marker=i1&limit=1'): [(200, second)]})
    assert [image['id'] for image in survey_reads.images()] == ['i1', 'i2']
    assert session.discovered == [('image', '2', '2.latest')]


def test_nova_pages_are_followed_by_their_query_on_the_catalogs_host():
    # Nova behind a proxy writes its own host into the links: only the query is taken.
    first = {'flavors': [{'id': 'f1', 'name': 'm1.small', 'vcpus': 1, 'ram': 2048, 'disk': 20}],
             'flavors_links': [{'rel': 'next', 'href': 'http://nova-internal:8774/v2.1/flavors/detail?marker=f1'}]}
    second = {'flavors': [{'id': 'f2', 'name': 'm1.large', 'vcpus': 4, 'ram': 8192, 'disk': 80}]}
    survey_reads, session = reads({('GET', NOVA + '/flavors/detail'): [(200, first)],
                                   ('GET', NOVA + '/flavors/detail?marker=f1'): [(200, second)]})
    assert [flavor['name'] for flavor in survey_reads.flavors()] == ['m1.small', 'm1.large']
    assert [url for _method, url, _body in session.requests] == [
        NOVA + '/flavors/detail', NOVA + '/flavors/detail?marker=f1']


def test_keypairs_are_unwrapped():
    survey_reads, _session = reads({('GET', NOVA + '/os-keypairs'): [
        (200, {'keypairs': [{'keypair': {'name': 'default', 'type': 'ssh'}}, {'keypair': {'name': 'ci'}}]})]})
    assert [keypair['name'] for keypair in survey_reads.keypairs()] == ['default', 'ci']


def test_a_project_id_is_escaped_in_quota_paths():
    survey_reads, session = reads({
        ('GET', NOVA + '/os-quota-sets/a%2Fb%3Fc/detail'): [(200, {'quota_set': {'instances': {'limit': 10}}})],
        ('GET', CINDER + '/os-quota-sets/a%2Fb%3Fc?usage=True'): [(200, {'quota_set': {'volumes': {'limit': 5}}})]})
    assert survey_reads.compute_quota('a/b?c') == {'instances': {'limit': 10}}
    assert survey_reads.volume_quota('a/b?c') == {'volumes': {'limit': 5}}


def test_the_default_type_is_asked_for_at_3_62_on_cinders_discovered_v3_endpoint():
    survey_reads, session = reads({('GET', CINDER + '/types/default'): [
        (200, {'volume_type': {'name': '__DEFAULT__', 'id': 't1'}})]})
    assert survey_reads.default_volume_type() == '__DEFAULT__'
    assert session.discovered == [('block-storage', '3', '3.latest')]
    assert session.headers[0]['OpenStack-API-Version'] == 'volume 3.62'


def test_an_older_cinder_has_no_default_type():
    survey_reads, _session = reads({('GET', CINDER + '/types/default'): [
        (404, {'itemNotFound': {'message': 'The resource could not be found.', 'code': 404}})]})
    assert survey_reads.default_volume_type() is None


def test_an_endpoint_override_is_used_as_it_is():
    override = 'https://volume.example.org/v3/project-1/'
    survey_reads, session = reads({('GET', override.rstrip('/') + '/types'): [
        (200, {'volume_types': [{'name': 'ssd'}]})]}, overrides={'block-storage': override})
    assert survey_reads.volume_types() == [{'name': 'ssd'}]
    assert session.discovered == []


def test_a_service_missing_from_the_catalog_is_said_so():
    survey_reads, _session = reads({}, catalog={'compute': NOVA})
    with pytest.raises(ServiceEndpointNotFound, match='no image endpoint'):
        survey_reads.images()


class Magnum:
    def cluster_quota(self, project):
        return 20

    def list(self, collection):
        return [{'name': 'c1', 'project_id': 'project-1'}, {'name': 'other', 'project_id': 'project-2'}]


def test_the_survey_reads_quotas_by_each_services_names():
    survey_reads_answers = {
        ('GET', NOVA + '/os-quota-sets/project-1/detail'): [(200, {'quota_set': {
            'id': 'project-1', 'instances': {'limit': 10, 'in_use': 3, 'reserved': 0},
            'cores': {'limit': 20, 'in_use': 6, 'reserved': 0},
            'ram': {'limit': 51200, 'in_use': 6144, 'reserved': 0}}})],
        ('GET', NEUTRON + '/v2.0/quotas/project-1/details'): [(200, {'quota': {
            'floatingip': {'limit': 50, 'used': 1, 'reserved': 0},
            'security_group': {'limit': 10, 'used': 9, 'reserved': 0},
            'security_group_rule': {'limit': 100, 'used': 40, 'reserved': 0},
            'port': {'limit': 500, 'used': 7, 'reserved': 0}, 'network': {'limit': 100, 'used': 2, 'reserved': 0},
            'router': {'limit': 10, 'used': 1, 'reserved': 0}}})],
        ('GET', CINDER + '/os-quota-sets/project-1?usage=True'): [(200, {'quota_set': {
            'id': 'project-1', 'volumes': {'limit': 10, 'in_use': 2, 'reserved': 0, 'allocated': 0},
            'gigabytes': {'limit': 1000, 'in_use': 20, 'reserved': 0, 'allocated': 0}}})],
    }
    connection = SessionConnection(Session(survey_reads_answers))
    connection.current_project_id = 'project-1'
    quotas = CloudSurvey(connection, Magnum()).quotas(block_storage_present=True)
    assert quotas['compute'] == dict(known=True, instances={'limit': 10, 'used': 3}, cores={'limit': 20, 'used': 6},
                                     ram={'limit': 51200, 'used': 6144})
    assert quotas['network']['security_groups'] == {'limit': 10, 'used': 9}
    assert quotas['network']['floating_ips'] == {'limit': 50, 'used': 1}
    assert quotas['volume'] == dict(known=True, volumes={'limit': 10, 'used': 2}, gigabytes={'limit': 1000, 'used': 20})
    assert quotas['magnum'] == dict(known=True, clusters={'limit': 20, 'used': 1})
