# -*- coding: utf-8 -*-
"""The doctor's verdicts and capacity from a survey, without a cloud: each reason a site.yml run cannot work."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.cloud_needs import HEAT_KUBERNETES_RULES, capacity
from ansible_collections.coe.magnum.plugins.module_utils.cloud_report import report_lines
from ansible_collections.coe.magnum.plugins.module_utils.cloud_survey import unknown_because
from ansible_collections.coe.magnum.plugins.module_utils.cloud_verdict import Verdict


def quota(limit, used=0):
    return dict(limit=limit, used=used)


def features(max_minor):
    needed = dict(ca_rotation=5, resize=7, upgrade=8, nodegroups=9, zero_node_count=10)
    return dict((name, dict(available=max_minor >= minor, needs='1.%d' % minor, description=name))
                for name, minor in needed.items())


SURVEY = dict(
    magnum=dict(known=True, min_version='1.1', max_version='1.14', features=features(14)),
    services=dict(known=True, **dict((name, dict(present=present, purpose=name)) for name, present in (
        ('orchestration', True), ('load-balancer', False), ('block-storage', True), ('key-manager', False),
        ('container-infra', True)))),
    templates=dict(known=True, items=[]),
    images=dict(known=True, items=[
        dict(name='fedora-coreos-40', id='i1', status='active', os_distro='fedora-coreos', kube_version=None,
             drivers=['k8s_fedora_coreos_v1'], usable=True),
        dict(name='ubuntu-2204-kube-v1.31.2', id='i2', status='active', os_distro='ubuntu', kube_version='v1.31.2',
             drivers=['k8s_capi_helm_v1'], usable=True),
        dict(name='cirros', id='i3', status='active', os_distro=None, kube_version=None, drivers=[], usable=False),
    ]),
    flavors=dict(known=True, items=[
        dict(name='m1.tiny', id='f0', vcpus=1, ram=512, disk=1, fits_master=False, fits_node=False),
        dict(name='m1.small', id='f1', vcpus=1, ram=2048, disk=20, fits_master=False, fits_node=True),
        dict(name='m1.medium', id='f2', vcpus=2, ram=4096, disk=40, fits_master=True, fits_node=True),
    ]),
    external_networks=dict(known=True, items=[dict(name='public', id='n1', status='ACTIVE')]),
    keypairs=dict(known=True, items=['default']),
    block_storage=dict(known=True, present=True, volume_types=['fast', 'standard'], default_type='standard',
                       availability_zones=['nova']),
    quotas=dict(
        project_id='p1',
        compute=dict(known=True, instances=quota(10), cores=quota(20), ram=quota(51200)),
        network=dict(known=True, floating_ips=quota(50), security_groups=quota(10, 1),
                     security_group_rules=quota(100, 4), ports=quota(-1), networks=quota(-1), routers=quota(-1)),
        volume=dict(known=True, volumes=quota(10), gigabytes=quota(1000)),
        magnum=dict(known=True, clusters=quota(20)),
    ),
)

GOOD = dict(
    cluster_template_image='fedora-coreos-40', cluster_template_external_network='public',
    cluster_template_flavor='m1.small', cluster_template_master_flavor='m1.medium', cluster_template_keypair='default',
    cluster_template_labels={'kube_tag': 'v1.30.4', 'cinder_csi_enabled': True}, cluster_master_count=1,
    cluster_node_count=2, storage_class_parameters={'type': 'standard', 'availability': 'nova'},
    storage_class_claims=[{'name': 'data', 'namespace': 'demo', 'size': '2Gi'}],
)


def judge(variables=None, **sections):
    """The verdict on GOOD changed by `variables`, on SURVEY with some sections replaced."""
    survey = dict(copy.deepcopy(SURVEY), **sections)
    verdict = Verdict(survey, dict(GOOD, **(variables or {})))
    return verdict, verdict.run()


def failures(steps, step=None):
    return [f['message'] for s in steps if step in (None, s['step']) for f in s['findings'] if f['status'] == 'fail']


def test_good_variables_can_work_and_count_what_a_cluster_takes():
    verdict, steps = judge()
    assert failures(steps) == []
    assert [s['step'] for s in steps] == ['cluster', 'cluster_config', 'cluster_ports', 'storage_class']
    assert verdict.needs['instances'] == 3
    assert verdict.needs['cores'] == 2 + 2 * 1
    assert verdict.needs['ram'] == 4096 + 2 * 2048
    assert verdict.needs['security_group_rules'] == HEAT_KUBERNETES_RULES
    # Floating IPs for every server (Heat drivers), one claim of 2Gi.
    assert verdict.needs['floating_ips'] == 3
    assert (verdict.needs['volumes'], verdict.needs['gigabytes']) == (1, 2)
    # Instances bound it: 10 // 3.
    assert verdict.capacity['fit'] == 3


@pytest.mark.parametrize('variables, step, words', [
    ({'cluster_template_image': 'nope'}, 'cluster', 'image nope does not exist'),
    ({'cluster_template_image': ''}, 'cluster', 'cluster_template_image is not set'),
    ({'cluster_template_image': 'cirros'}, 'cluster', 'has no os_distro property'),
    ({'cluster_template_external_network': 'private'}, 'cluster', 'external network private does not exist'),
    ({'cluster_template_external_network': ''}, 'cluster', 'floating IPs need one'),
    ({'cluster_template_flavor': 'm1.huge'}, 'cluster', 'node flavor m1.huge does not exist'),
    ({'cluster_template_keypair': 'mine'}, 'cluster', 'keypair mine does not exist'),
    ({'cluster_master_count': 3}, 'cluster', 'master_count must be 1 when master_lb_enabled is False'),
    ({'cluster_template_master_lb_enabled': 'true'}, 'cluster', 'master_lb_enabled needs Octavia'),
    ({'cluster_template_create': False, 'cluster_template_name': 'absent'}, 'cluster', 'there is no template absent'),
    ({'cluster_node_count': 60}, 'cluster', 'instances: a cluster needs 61, 10 of 10 left'),
    ({'cluster_template_labels': {'kube_tag': 'v1.30.4', 'cinder_csi_enabled': 'false'}}, 'storage_class',
     'the default StorageClass cannot provision'),
    ({'storage_class_provisioner': 'kubernetes.io/cinder'}, 'storage_class', 'no in-tree Cinder provisioner'),
    ({'storage_class_parameters': {'type': 'gold'}}, 'storage_class', 'type gold is not a volume type'),
    ({'storage_class_parameters': {'availability': 'az9'}}, 'storage_class', 'availability az9 is not a Cinder'),
    ({'cluster_config_rotate_ca': True}, None, None),
])
def test_each_reason_fails_its_step(variables, step, words):
    _verdict, steps = judge(variables)
    if words is None:
        assert failures(steps) == []
        return
    assert [message for message in failures(steps, step) if words in message], failures(steps)


def test_an_old_api_refuses_zero_nodes_and_ca_rotation():
    survey_magnum = dict(known=True, min_version='1.1', max_version='1.4', features=features(4))
    _verdict, steps = judge({'cluster_node_count': 0, 'cluster_config_rotate_ca': True}, magnum=survey_magnum)
    assert failures(steps, 'cluster') == ['cluster_node_count 0 needs Magnum API 1.10; this cloud serves at most 1.4']
    assert failures(steps, 'cluster_config') == ['cluster_config_rotate_ca needs Magnum API 1.5; this cloud serves '
                                                 'at most 1.4']


def test_a_cloud_without_cinder_fails_claims_and_docker_volumes_only():
    survey = copy.deepcopy(SURVEY)
    survey['services']['block-storage']['present'] = False
    survey['block_storage'] = dict(known=True, present=False, volume_types=[], default_type=None,
                                   availability_zones=[])
    survey['quotas']['volume'] = dict(known=False, reason='unknown, because the cloud has no Cinder')
    steps = Verdict(survey, dict(GOOD, cluster_template_docker_volume_size=10)).run()
    assert any('each node gets a Cinder volume' in m for m in failures(steps, 'cluster'))
    assert any('claims of the StorageClass cannot get volumes' in m for m in failures(steps, 'storage_class'))
    without_claims = Verdict(survey, dict(GOOD, storage_class_claims=[], storage_class_parameters={})).run()
    assert failures(without_claims) == []


def test_a_cluster_api_image_asks_for_a_two_cpu_master():
    verdict, steps = judge({'cluster_template_image': 'ubuntu-2204-kube-v1.31.2',
                            'cluster_template_master_flavor': 'm1.small'})
    warnings = [f['message'] for s in steps for f in s['findings'] if f['status'] == 'warn']
    assert any('master flavor m1.small' in message for message in warnings)
    assert verdict.needs['floating_ips'] == 1
    assert 'security_group_rules' not in verdict.needs


def test_unreadable_quotas_are_unknown_with_the_reason_not_a_failure():
    survey = copy.deepcopy(SURVEY)
    reason = "unknown, because the user's role may not read it (HTTP 403)"
    survey['quotas']['compute'] = dict(known=False, reason=reason)
    verdict = Verdict(survey, GOOD)
    steps = verdict.run()
    assert failures(steps) == []
    unknown = [f['message'] for f in steps[0]['findings'] if f['status'] == 'unknown']
    assert "quota of instances: unknown, because the user's role may not read it (HTTP 403)" in unknown
    lines = report_lines(survey, steps, verdict.capacity)
    assert "Quota instances: unknown, because the user's role may not read it (HTTP 403)" in lines


def test_capacity_names_the_short_resource():
    quotas = copy.deepcopy(SURVEY['quotas'])
    quotas['network']['security_groups'] = quota(1, 1)
    result = capacity(dict(security_groups=2, instances=3), quotas)
    assert result['fit'] == 0
    assert result['short'] == ['security groups: a cluster needs 2, 0 of 1 left (1 used)']


class HttpFailure(Exception):
    def __init__(self, status):
        super(HttpFailure, self).__init__('HTTP %s' % status)
        self.status_code = status


@pytest.mark.parametrize('status, words', [
    (403, "unknown, because the user's role may not read quotas (HTTP 403)"),
    (404, 'unknown, because the cloud does not offer to read quotas (HTTP 404)'),
    (500, 'unknown, because Failed to read quotas: HTTP 500 (HTTP 500)'),
])
def test_unknown_because(status, words):
    assert unknown_because('read quotas', HttpFailure(status)) == words
