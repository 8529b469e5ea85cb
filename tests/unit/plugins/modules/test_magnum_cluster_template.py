# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.modules.magnum_cluster_template import ClusterTemplateModule
from ansible_collections.coe.magnum.tests.unit.fakes import FakeCloud, run_module

GUIDE = dict(name='k8s', coe='kubernetes', image='Fedora-Atomic-25', external_network='public',
             dns_nameserver='193.166.4.25', network_driver='flannel', flavor='io.70GB', master_flavor='io.70GB',
             volume_driver='cinder', keypair='default')


@pytest.fixture
def cloud():
    return FakeCloud()


def run(cloud, check_mode=False, **args):
    return run_module(ClusterTemplateModule, args, cloud, check_mode=check_mode, diff=True)


def test_create_sends_the_guide_fields_as_given(cloud):
    result, failed = run(cloud, labels={'cinder_csi_enabled': True, 'boot_volume_size': 10}, **GUIDE)
    assert not failed and result['changed']
    (stored,) = cloud.http.collections['clustertemplates'].values()
    assert stored['image_id'] == 'Fedora-Atomic-25' and stored['keypair_id'] == 'default'
    assert stored['labels'] == {'cinder_csi_enabled': 'true', 'boot_volume_size': '10'}
    assert result['id'] == stored['uuid']
    assert result['diff']['before'] == {} and result['diff']['after']['flavor_id'] == 'io.70GB'


def test_second_run_changes_nothing_and_only_reads(cloud):
    run(cloud, **GUIDE)
    before = len(cloud.http.requests)
    result, failed = run(cloud, **GUIDE)
    assert not failed and not result['changed']
    assert cloud.http.requests[before:] == [('GET', '/clustertemplates/k8s', '1.1')]


def test_references_stored_as_ids_match_names(cloud):
    cloud.http.add('clustertemplates', name='k8s', coe='kubernetes', image_id='img-atomic', flavor_id='fl-io',
                   master_flavor_id='io.70GB', external_network_id='net-public', keypair_id='default',
                   dns_nameserver='193.166.4.25', network_driver='flannel', volume_driver='cinder')
    result, failed = run(cloud, **GUIDE)
    assert not failed and not result['changed'], result


def test_check_mode_predicts_without_mutating(cloud):
    result, failed = run(cloud, check_mode=True, **GUIDE)
    assert result['changed'] and not failed
    assert cloud.http.mutating_requests() == []
    assert cloud.http.collections['clustertemplates'] == {}


def test_update_in_place_with_label_operations(cloud):
    run(cloud, labels={'kube_tag': 'v1.29.0', 'drop': 'me'}, **GUIDE)
    result, failed = run(cloud, labels={'kube_tag': 'v1.30.4'}, docker_volume_size=20, **GUIDE)
    assert not failed and result['changed']
    patch = [r for r in cloud.http.requests if r[0] == 'PATCH']
    assert len(patch) == 1
    (stored,) = cloud.http.collections['clustertemplates'].values()
    assert stored['labels'] == {'kube_tag': 'v1.30.4'} and stored['docker_volume_size'] == 20
    assert sorted(c['field'] for c in result['changes']) == ['docker_volume_size', 'labels']
    assert result['diff']['before']['docker_volume_size'] is None
    assert result['diff']['after']['docker_volume_size'] == 20


def test_referenced_template_refuses_other_fields_listing_them(cloud):
    run(cloud, **GUIDE)
    template = list(cloud.http.collections['clustertemplates'].values())[0]
    cloud.http.add('clusters', name='prod', cluster_template_id=template['uuid'])
    before = len(cloud.http.mutating_requests())
    changed_args = dict(GUIDE)
    changed_args.update(flavor='m1.small', docker_volume_size=50, public=True)
    result, failed = run(cloud, **changed_args)
    assert failed
    assert 'prod' in result['msg'] and 'docker_volume_size' in result['msg'] and 'flavor' in result['msg']
    assert 'public' not in result['differing_fields']
    assert len(cloud.http.mutating_requests()) == before


def test_referenced_template_may_still_be_published(cloud):
    run(cloud, **GUIDE)
    template = list(cloud.http.collections['clustertemplates'].values())[0]
    cloud.http.add('clusters', name='prod', cluster_template_id=template['uuid'])
    result, failed = run(cloud, public=True, **GUIDE)
    assert not failed and result['changed']
    assert template['public'] is True


@pytest.mark.parametrize('option, value, words', [
    ('image', 'no-such-image', 'parameter `image`'),
    ('flavor', 'm1.huge', 'parameter `flavor`'),
    ('master_flavor', 'm1.huge', 'parameter `master_flavor`'),
    ('external_network', 'nowhere', 'parameter `external_network`'),
    ('keypair', 'lost', 'parameter `keypair`'),
    ('image', 'twin', 'Several images'),
])
def test_bad_references_fail_before_any_change(cloud, option, value, words):
    result, failed = run(cloud, **dict(GUIDE, **{option: value}))
    assert failed and words in result['msg']
    assert cloud.http.mutating_requests() == []


def test_an_image_without_os_distro_fails_before_any_change(cloud):
    without_os_distro = dict(GUIDE)
    without_os_distro['image'] = 'cirros'
    result, failed = run(cloud, **without_os_distro)
    assert failed and "Image 'cirros' has no os_distro property" in result['msg'] and '`image`' in result['msg']
    assert cloud.http.mutating_requests() == []


def test_master_lb_without_a_load_balancer_service_fails_before_any_change(cloud):
    result, failed = run(cloud, master_lb_enabled=True, **GUIDE)
    assert failed and 'no load-balancer service (Octavia)' in result['msg'] and 'master_lb_enabled' in result['msg']
    assert cloud.http.mutating_requests() == []


def test_master_lb_with_a_load_balancer_service_is_created():
    cloud = FakeCloud(services=('identity', 'image', 'compute', 'network', 'container-infra', 'load-balancer'))
    result, failed = run(cloud, master_lb_enabled=True, **GUIDE)
    assert not failed and result['changed']


def test_create_needs_coe_and_image(cloud):
    args = dict(GUIDE)
    del args['coe']
    result, failed = run(cloud, **args)
    assert failed and '`coe`' in result['msg']


def test_delete_then_delete_again(cloud):
    run(cloud, **GUIDE)
    result, failed = run(cloud, name='k8s', state='absent')
    assert result['changed'] and not failed
    assert cloud.http.collections['clustertemplates'] == {}
    result, failed = run(cloud, name='k8s', state='absent')
    assert not result['changed'] and not failed


def test_duplicate_names_are_reported_not_guessed(cloud):
    cloud.http.add('clustertemplates', name='k8s', coe='kubernetes')
    cloud.http.add('clustertemplates', name='k8s', coe='kubernetes')
    result, failed = run(cloud, **GUIDE)
    assert failed and 'Several cluster templates' in result['msg']


@pytest.mark.parametrize('method', ['PATCH', 'DELETE'])
def test_a_change_whose_answer_was_lost_is_confirmed_by_a_read(cloud, method):
    run(cloud, labels={'kube_tag': 'v1.29.0'}, **GUIDE)
    cloud.http.lost_answers.append(method)
    if method == 'PATCH':
        result, failed = run(cloud, labels={'kube_tag': 'v1.30.4'}, **GUIDE)
        (stored,) = cloud.http.collections['clustertemplates'].values()
        assert stored['labels'] == {'kube_tag': 'v1.30.4'}
        assert result['cluster_template']['labels'] == {'kube_tag': 'v1.30.4'}
    else:
        result, failed = run(cloud, name='k8s', state='absent')
        assert cloud.http.collections['clustertemplates'] == {}
    assert not failed and result['changed'], result
    assert [r[0] for r in cloud.http.mutating_requests()] == ['POST', method]


def test_a_lost_answer_to_a_change_not_made_stays_a_clear_failure(cloud, monkeypatch):
    run(cloud, **GUIDE)
    original = cloud.http._serve

    def nothing_done(method, url, body):
        if method == 'PATCH':
            cloud.http.requests.append((method, url, cloud.http.api_version))
            return None, None
        return original(method, url, body)
    monkeypatch.setattr(cloud.http, '_serve', nothing_done)
    cloud.http.lost_answers.append('PATCH')
    other_nameserver = dict(GUIDE)
    other_nameserver['dns_nameserver'] = '8.8.8.8'
    result, failed = run(cloud, **other_nameserver)
    assert failed and 'the connection was cut before the cloud answered' in result['msg']


def test_a_template_gone_before_its_delete_is_what_the_task_wanted(cloud):
    """Someone else's delete gets there first: Magnum answers this one 404, and the task says so."""
    from ansible_collections.coe.magnum.tests.unit.fakes import HttpError
    run(cloud, **GUIDE)
    serve = cloud.http.json_request

    def raced(method, url, body=None, **kwargs):
        if method == 'DELETE':
            cloud.http.collections['clustertemplates'].clear()
            raise HttpError(404, 'ClusterTemplate k8s could not be found.')
        return serve(method, url, body, **kwargs)
    cloud.http.json_request = raced
    result, failed = run(cloud, name='k8s', state='absent')
    assert not failed and result['changed'] and result['already_deleted'] is True
    assert cloud.http.collections['clustertemplates'] == {}
