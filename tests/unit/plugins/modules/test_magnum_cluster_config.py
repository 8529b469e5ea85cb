# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

import pytest
import yaml

from ansible_collections.coe.magnum.plugins.module_utils import kubeconfig
from ansible_collections.coe.magnum.plugins.modules.magnum_cluster_config import ClusterConfigModule
from ansible_collections.coe.magnum.tests.unit.certificate_authority import CertificateAuthority
from ansible_collections.coe.magnum.tests.unit.data import cases
from ansible_collections.coe.magnum.tests.unit.fakes import FakeCloud, HttpError, Response, run_module

SERVER = 'https://172.24.4.10:6443'
CLUSTER_NAME = 'k8s-cluster'


class CertificateCloud(FakeCloud):
    """Magnum with a cluster whose CA signs CSRs and can be rotated, as the x509keypair cert manager does."""

    def __init__(self, max_version='1.14', refuse_signing=False, cluster=None, template=None, signing_failures=0,
                 rotation_fails=False):
        super(CertificateCloud, self).__init__(max_version=max_version)
        self.rotation_answers = []  # an HttpError to raise after a rotation, as a gateway that gave up waiting
        self.ca = CertificateAuthority(CLUSTER_NAME)
        self.rotation_fails = rotation_fails
        self.refuse_signing = refuse_signing
        self.signing_failures = signing_failures
        self.rotations = 0
        fields = dict(name='k8s', coe='kubernetes', tls_disabled=False)
        fields.update(template or {})
        self.template = self.http.add('clustertemplates', **fields)
        record = dict(name=CLUSTER_NAME, status='CREATE_COMPLETE', api_address=SERVER,
                      cluster_template_id=self.template['uuid'], updated_at='2026-11-27T01:00:00+00:00')
        record.update(cluster or {})
        self.cluster = self.http.add('clusters', **record)
        original = self.http.json_request

        def json_request(method, url, body=None, **kwargs):
            if url.startswith('/certificates'):
                self.http.requests.append((method, url, self.http.api_version))
                return self.certificates(method, url.strip('/').split('/'), body)
            return original(method, url, body=body, **kwargs)
        self.http.json_request = json_request

    def certificates(self, method, parts, body):
        if method == 'GET':
            cluster = self.http._find('clusters', parts[1])
            return Response(), {'cluster_uuid': cluster['uuid'], 'pem': self.ca.pem}
        if method == 'POST':
            if self.refuse_signing:
                raise HttpError(400, 'Invalid CSR')
            if self.signing_failures:
                self.signing_failures -= 1
                raise HttpError(503, 'Service Unavailable')
            return Response(), {'cluster_uuid': body['cluster_uuid'], 'csr': body['csr'],
                                'pem': self.ca.sign(body['csr'])}
        if method == 'PATCH':
            if self.http.api_version < '1.5':
                raise HttpError(406, 'Version 1.1 is not supported for rotate_ca')
            self.rotate()
            if self.rotation_answers:
                raise self.rotation_answers.pop(0)
            return Response(), {'uuid': parts[1]}
        raise AssertionError(method)

    def rotate(self):
        self.rotations += 1
        self.ca = CertificateAuthority(CLUSTER_NAME)
        self.cluster['status'] = 'UPDATE_FAILED' if self.rotation_fails else 'UPDATE_COMPLETE'
        if self.rotation_fails:
            self.cluster['status_reason'] = 'Stack UPDATE failed'
        self.cluster['updated_at'] = '2026-11-27T02:%02d:00+00:00' % self.rotations

    def signed(self):
        return len([r for r in self.http.requests if r[:2] == ('POST', '/certificates')])


class Place:
    def __init__(self, tmp_path):
        self.dest = str(tmp_path / 'out')
        self.merge = str(tmp_path / 'kube' / 'config')

    def args(self, params):
        args = {'cluster': CLUSTER_NAME, 'dest': self.dest}
        args.update(params or {})
        for key, value in list(args.items()):
            if value == 'MERGE':
                args[key] = self.merge
        return dict((key, value) for key, value in args.items() if value is not None)

    def label(self, path):
        return 'MERGE' if path == self.merge else os.path.basename(path)

    def files(self):
        return sorted(os.listdir(self.dest)) if os.path.isdir(self.dest) else []


def run(cloud, place, params=None, check_mode=False):
    return run_module(ClusterConfigModule, place.args(params), cloud, check_mode=check_mode, diff=True)


def write_kubeconfig(cloud, place, server=None, ca='current', days_left=1000, key=('rsa', 2048), context=None):
    authority = cloud.ca if ca == 'current' else CertificateAuthority(CLUSTER_NAME)
    cert, key_pem = authority.client_credential(key[0], key[1], days_left=days_left)
    name = context or CLUSTER_NAME
    document = kubeconfig.render(server or cloud.cluster['api_address'], name, 'admin@%s' % name, name,
                                 ca_pem=cloud.ca.pem, client_cert_pem=cert, client_key_pem=key_pem)
    os.makedirs(place.dest, mode=0o700, exist_ok=True)
    path = os.path.join(place.dest, 'config')
    with open(path, 'w') as handle:
        handle.write(kubeconfig.dump(document))
    os.chmod(path, 0o600)


def prepare(cloud, place, steps):
    for step in steps or []:
        if 'run' in step:
            result, failed = run(cloud, place, step['run'])
            assert not failed, result
        elif 'kubeconfig' in step:
            write_kubeconfig(cloud, place, **dict((k, tuple(v) if k == 'key' else v)
                                                  for k, v in step['kubeconfig'].items()))
        elif 'rotate_ca' in step:
            cloud.rotate()
        elif 'move_api' in step:
            cloud.cluster['api_address'] = step['move_api']
        elif 'chmod' in step:
            for name, mode in step['chmod'].items():
                os.chmod(os.path.join(place.dest, name), int(mode, 8))
        elif 'file' in step:
            with open(place.dest, 'w') as handle:
                handle.write('')
        elif 'merge_into_text' in step:
            os.makedirs(os.path.dirname(place.merge), exist_ok=True)
            with open(place.merge, 'w') as handle:
                handle.write(step['merge_into_text'])


def snapshot(place):
    found = {}
    for path in (place.dest, place.merge):
        if os.path.isdir(path):
            for name in os.listdir(path):
                with open(os.path.join(path, name), 'rb') as handle:
                    found[os.path.join(path, name)] = handle.read()
        elif os.path.isfile(path):
            with open(path, 'rb') as handle:
                found[path] = handle.read()
    return found


@pytest.mark.parametrize('case', cases('cluster_config/runs.yml'))
def test_run(case, tmp_path):
    cloud = CertificateCloud(max_version=case.get('max_version', '1.14'), refuse_signing=case.get('refuse_signing'),
                             cluster=case.get('cluster'), template=case.get('template'),
                             signing_failures=case.get('signing_failures', 0),
                             rotation_fails=case.get('rotation_fails', False))
    place = Place(tmp_path)
    prepare(cloud, place, case.get('before'))
    signed_before, requests_before, files_before = cloud.signed(), len(cloud.http.requests), snapshot(place)
    rotations_before = cloud.rotations
    result, failed = run(cloud, place, case.get('params'), check_mode=case.get('check_mode', False))
    expect = case['expect']

    assert failed == expect.get('failed', False), result
    if failed:
        assert expect['msg'] in result['msg']
        assert snapshot(place) == files_before, 'a failed run changed files'
    else:
        assert result['changed'] == expect['changed'], result
    if 'signed' in expect:
        assert cloud.signed() - signed_before == expect['signed']
    if 'requests' in expect:
        assert len(cloud.http.requests) - requests_before == expect['requests']
    if 'rotations' in expect:
        assert cloud.rotations - rotations_before == expect['rotations']
    if 'written' in expect:
        assert [place.label(path) for path in result['written']] == expect['written']
    if 'renewed' in expect:
        assert result['renewed'] == expect['renewed']
    if 'reason' in expect:
        assert expect['reason'] in result['renewal_reason']
    if 'certificate' in expect:
        assert (result['certificate'] is not None) == expect['certificate']
    if 'files' in expect:
        assert place.files() == expect['files']
    if case.get('check_mode'):
        assert snapshot(place) == files_before, 'check mode changed files'
    if not failed and not case.get('check_mode'):
        for path in result['written']:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        if os.path.isdir(place.dest) and not any('run' in step for step in case.get('before') or []) and \
                not any('kubeconfig' in step for step in case.get('before') or []):
            assert stat.S_IMODE(os.stat(place.dest).st_mode) == 0o700


@pytest.fixture
def cloud():
    return CertificateCloud()


@pytest.fixture
def place(tmp_path):
    return Place(tmp_path)


def load_configuration(path, context=None):
    from kubernetes import client, config
    configuration = client.Configuration()
    config.load_kube_config(config_file=path, context=context, client_configuration=configuration,
                            persist_config=False)
    return configuration


def test_the_kubeconfig_authenticates_as_cluster_admin_signed_by_the_cluster_ca(cloud, place):
    from cryptography import x509
    result, failed = run(cloud, place)
    assert not failed
    configuration = load_configuration(result['kubeconfig'])
    assert configuration.host == SERVER
    with open(configuration.cert_file, 'rb') as handle:
        cert = x509.load_pem_x509_certificate(handle.read())
    cert.verify_directly_issued_by(cloud.ca.cert)
    assert cert.subject.rfc4514_string() == 'O=system:masters,CN=admin'
    assert result['certificate']['subject'] == 'O=system:masters,CN=admin'
    assert result['certificate_expiry'] == result['certificate']['not_after']
    assert result['context'] == CLUSTER_NAME and result['server'] == SERVER
    assert result['paths'] == {'kubeconfig': os.path.join(place.dest, 'config')}


def test_no_output_holds_key_material_unless_the_content_is_asked_for(cloud, place):
    result, _failed = run(cloud, place, {'output_certs': True, 'merge_into': 'MERGE'})
    with open(os.path.join(place.dest, 'key.pem')) as handle:
        key_pem = handle.read()
    body = ''.join(key_pem.strip().splitlines()[1:-1])
    output = json.dumps(result)
    assert body[:40] not in output and kubeconfig.encode(key_pem)[:40] not in output
    assert 'content' not in result

    second, _failed = run(cloud, place, {'output_certs': True, 'force': True, 'return_content': True})
    assert kubeconfig.access_of(yaml.safe_load(second['content']), CLUSTER_NAME)['client_key_pem'] is not None


def test_the_diff_names_the_files_without_key_material(cloud, place):
    result, _failed = run(cloud, place, {'output_certs': True})
    before, after = result['diff']['before'], result['diff']['after']
    assert '%s/: absent' % place.dest in before
    assert '%s: absent' % os.path.join(place.dest, 'key.pem') in before
    assert '%s: private key (rsa 2048) (mode 0600)' % os.path.join(place.dest, 'key.pem') in after
    assert 'context k8s-cluster, server %s, client certificate valid until' % SERVER in after
    assert 'PRIVATE KEY-----' not in before + after


def test_return_content_gives_the_file_as_written(cloud, place):
    result, _failed = run(cloud, place, {'return_content': True})
    with open(result['kubeconfig']) as handle:
        assert yaml.safe_load(handle.read()) == yaml.safe_load(result['content'])


def test_check_mode_return_content_of_a_certificate_not_signed_is_null(cloud, place):
    result, _failed = run(cloud, place, {'return_content': True}, check_mode=True)
    assert result['content'] is None and result['certificate'] is None


def test_merge_into_keeps_the_other_contexts_and_the_current_one(cloud, place):
    os.makedirs(os.path.dirname(place.merge))
    with open(os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'cluster_config',
                           'existing-kubeconfig.yml')) as source, open(place.merge, 'w') as target:
        target.write(source.read())
    os.chmod(place.merge, 0o644)
    result, failed = run(cloud, place, {'merge_into': 'MERGE'})
    assert not failed
    with open(place.merge) as handle:
        merged = yaml.safe_load(handle.read())
    assert kubeconfig.context_names(merged) == ['minikube', 'k8s-cluster', 'staging']
    assert merged['current-context'] == 'minikube'
    assert stat.S_IMODE(os.stat(place.merge).st_mode) == 0o600
    merged_access = load_configuration(place.merge, CLUSTER_NAME)
    own_access = load_configuration(result['kubeconfig'])
    assert merged_access.host == own_access.host == SERVER
    with open(merged_access.cert_file) as merged_cert, open(own_access.cert_file) as own_cert:
        assert merged_cert.read() == own_cert.read()
    again, _failed = run(cloud, place, {'merge_into': 'MERGE'})
    assert not again['changed']


def test_keystone_kubeconfig_content(cloud, place):
    result, failed = run(cloud, place, {'auth_mode': 'keystone', 'return_content': True})
    assert not failed and result['auth_mode'] == 'keystone'
    document = yaml.safe_load(result['content'])
    access = kubeconfig.access_of(document, CLUSTER_NAME)
    assert access['ca_pem'].strip() == cloud.ca.pem.strip()
    assert access['client_cert_pem'] is None and access['client_key_pem'] is None
    assert access['exec'] == kubeconfig.keystone_exec_credential()
    assert document['users'][0]['name'] == 'openstackuser@k8s-cluster'


def test_swarm_docker_env_points_docker_at_the_certificates(place):
    cloud = CertificateCloud(template={'coe': 'swarm'}, cluster={'api_address': 'tcp://172.24.4.20:2376'})
    result, failed = run(cloud, place, {'return_content': True})
    assert not failed and result['coe'] == 'swarm' and 'kubeconfig' not in result
    assert result['content'] == ('export DOCKER_HOST=tcp://172.24.4.20:2376\n'
                                 'export DOCKER_CERT_PATH=%s\n'
                                 'export DOCKER_TLS_VERIFY=1\n' % place.dest)
    assert sorted(result['paths']) == ['ca', 'cert', 'docker_env', 'key']
    with open(result['paths']['ca']) as handle:
        assert handle.read() == cloud.ca.pem


def test_custom_entry_names_as_magnumclient_names_them(cloud, place):
    result, _failed = run(cloud, place, {'context_name': 'default', 'user_name': 'admin'})
    configuration = load_configuration(result['kubeconfig'], 'default')
    assert configuration.host == SERVER
    with open(result['kubeconfig']) as handle:
        document = yaml.safe_load(handle.read())
    assert document['users'][0]['name'] == 'admin' and document['clusters'][0]['name'] == CLUSTER_NAME


def test_rotation_waits_for_the_cluster_and_signs_with_the_new_ca(cloud, place):
    run(cloud, place)
    old_ca = cloud.ca
    result, failed = run(cloud, place, {'rotate_ca': True})
    assert not failed and result['ca_rotated'] and cloud.ca is not old_ca
    assert ('PATCH', '/certificates/%s' % cloud.cluster['uuid'], '1.5') in cloud.http.requests
    access = kubeconfig.access_of(kubeconfig.parse(open(result['kubeconfig']).read(), 'f', 'dest'), CLUSTER_NAME)
    assert access['ca_pem'].strip() == cloud.ca.pem.strip()
    again, _failed = run(cloud, place)
    assert not again['changed']


@pytest.mark.parametrize('status', [502, 503, 504])
def test_a_rotation_whose_answer_is_a_gateway_error_is_confirmed_not_sent_again(cloud, place, status):
    run(cloud, place)
    cloud.rotation_answers.append(HttpError(status, 'Gateway'))
    result, failed = run(cloud, place, {'rotate_ca': True})
    assert not failed, result
    assert result['ca_rotated'] and cloud.rotations == 1
    access = kubeconfig.access_of(kubeconfig.parse(open(result['kubeconfig']).read(), 'f', 'dest'), CLUSTER_NAME)
    assert access['ca_pem'].strip() == cloud.ca.pem.strip()


def test_template_facts_an_earlier_task_cached_spare_the_template_read(cloud, place, monkeypatch):
    from ansible_collections.coe.magnum.plugins.module_utils import magnum_api
    cached = {cloud.template['uuid']: {'coe': 'kubernetes', 'tls_disabled': False}}
    monkeypatch.setattr(magnum_api, 'cached_fact',
                        lambda connection, kind, uuid: cached.get(uuid) if kind == 'template_facts' else None)
    result, failed = run(cloud, place)
    assert not failed and result['changed']
    assert [r[:2] for r in cloud.http.requests if r[0] == 'GET'] == [
        ('GET', '/clusters/%s' % CLUSTER_NAME), ('GET', '/certificates/%s' % cloud.cluster['uuid'])]

    cached.clear()
    result, failed = run(cloud, place)
    assert not failed and not result['changed']
    assert ('GET', '/clustertemplates/%s' % cloud.template['uuid']) in [r[:2] for r in cloud.http.requests]
