# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess

import pytest
import yaml

from ansible_collections.coe.magnum.plugins.module_utils import kubeconfig
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.tests.unit.certificate_authority import CertificateAuthority
from ansible_collections.coe.magnum.tests.unit.data import load

SERVER = 'https://172.24.4.10:6443'


@pytest.fixture(scope='module')
def ca():
    return CertificateAuthority()


def test_certificate_kubeconfig_embeds_ca_certificate_and_key(ca):
    cert, key = ca.client_credential()
    document = kubeconfig.render(SERVER, 'k8s-cluster', 'admin@k8s-cluster', 'k8s-cluster', ca_pem=ca.pem,
                                 client_cert_pem=cert, client_key_pem=key)
    assert document['current-context'] == 'k8s-cluster'
    assert document['contexts'] == [{'name': 'k8s-cluster',
                                     'context': {'cluster': 'k8s-cluster', 'user': 'admin@k8s-cluster'}}]
    access = kubeconfig.access_of(yaml.safe_load(kubeconfig.dump(document)), 'k8s-cluster')
    assert access == {'server': SERVER, 'ca_pem': ca.pem, 'client_cert_pem': cert, 'client_key_pem': key,
                      'exec': None}


def test_the_official_client_loads_the_rendered_certificate_kubeconfig(ca, tmp_path):
    from kubernetes import client, config
    cert, key = ca.client_credential()
    path = tmp_path / 'config'
    path.write_text(kubeconfig.dump(kubeconfig.render(SERVER, 'c', 'u', 'ctx', ca_pem=ca.pem, client_cert_pem=cert,
                                                      client_key_pem=key)))
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(path), client_configuration=configuration, persist_config=False)
    assert configuration.host == SERVER
    with open(configuration.cert_file) as handle:
        assert handle.read() == cert
    with open(configuration.ssl_ca_cert) as handle:
        assert handle.read() == ca.pem


def test_tls_disabled_kubeconfig_has_the_server_only():
    document = kubeconfig.render('http://172.24.4.10:8080', 'c', 'u', 'ctx')
    assert document['clusters'] == [{'name': 'c', 'cluster': {'server': 'http://172.24.4.10:8080'}}]
    assert document['users'] == [{'name': 'u', 'user': {}}]


def test_keystone_kubeconfig_has_an_exec_credential_and_no_secret(ca):
    document = kubeconfig.render(SERVER, 'c', 'openstackuser@c', 'c', ca_pem=ca.pem,
                                 exec_credential=kubeconfig.keystone_exec_credential())
    user = document['users'][0]['user']
    assert set(user) == {'exec'}
    assert user['exec']['apiVersion'] == 'client.authentication.k8s.io/v1beta1'
    assert user['exec']['command'] == '/bin/bash' and user['exec']['args'][0] == '-c'
    text = kubeconfig.dump(document)
    assert '|' in text  # the script stays readable in block style
    assert yaml.safe_load(text) == document


@pytest.mark.parametrize('token, code', [('gAAAAABl-token_value', 0), ('', 1)])
def test_the_exec_credential_hands_over_os_token(token, code):
    exec_credential = kubeconfig.keystone_exec_credential()
    environment = dict(os.environ, OS_TOKEN=token)
    done = subprocess.run([exec_credential['command']] + exec_credential['args'], env=environment,
                          capture_output=True, text=True, check=False)
    assert done.returncode == code
    if code == 0:
        credential = json.loads(done.stdout)
        assert credential == {'apiVersion': 'client.authentication.k8s.io/v1beta1', 'kind': 'ExecCredential',
                              'status': {'token': token}}
    else:
        assert 'OS_TOKEN' in done.stderr


def test_merge_replaces_this_clusters_entries_and_keeps_every_other():
    existing = load('cluster_config/existing-kubeconfig.yml')
    addition = kubeconfig.render(SERVER, 'k8s-cluster', 'admin@k8s-cluster', 'k8s-cluster', ca_pem=None)
    merged = kubeconfig.merge(existing, addition)
    assert kubeconfig.context_names(merged) == ['minikube', 'k8s-cluster', 'staging']
    assert [c['name'] for c in merged['clusters']] == ['minikube', 'k8s-cluster', 'staging']
    assert kubeconfig.access_of(merged, 'k8s-cluster')['server'] == SERVER
    assert merged['users'][1] == {'name': 'admin@k8s-cluster', 'user': {}}
    for name in ('minikube', 'staging'):
        assert kubeconfig.access_of(merged, name) == kubeconfig.access_of(existing, name)
    assert merged['current-context'] == 'minikube'
    assert merged['preferences'] == {'colors': True}
    assert merged['contexts'][0]['context']['namespace'] == 'default'


def test_merge_adds_a_new_cluster_at_the_end():
    existing = load('cluster_config/existing-kubeconfig.yml')
    merged = kubeconfig.merge(existing, kubeconfig.render(SERVER, 'new', 'admin@new', 'new'))
    assert kubeconfig.context_names(merged) == ['minikube', 'k8s-cluster', 'staging', 'new']
    assert merged['current-context'] == 'minikube'


def test_merge_into_nothing_makes_a_whole_kubeconfig_current_on_the_cluster():
    addition = kubeconfig.render(SERVER, 'c', 'u', 'ctx')
    assert kubeconfig.merge(None, addition) == addition
    assert kubeconfig.merge({}, addition)['current-context'] == 'ctx'


def test_merge_is_stable_when_repeated():
    existing = load('cluster_config/existing-kubeconfig.yml')
    addition = kubeconfig.render(SERVER, 'k8s-cluster', 'admin@k8s-cluster', 'k8s-cluster')
    once = kubeconfig.merge(existing, addition)
    assert kubeconfig.merge(yaml.safe_load(kubeconfig.dump(once)), addition) == once


@pytest.mark.parametrize('text, message', [
    ('clusters: [unclosed', 'is not a YAML kubeconfig'),
    ('- just\n- a list\n', 'is not a kubeconfig'),
    ('clusters: {a: b}\n', 'is not a kubeconfig'),
])
def test_unreadable_kubeconfigs_are_refused_naming_the_parameter(text, message):
    with pytest.raises(CoeError) as error:
        kubeconfig.parse(text, '/home/user/.kube/config', 'merge_into')
    assert error.value.msg.startswith('merge_into /home/user/.kube/config ')
    assert message in error.value.msg
    assert error.value.details['parameter'] == 'merge_into'


def test_empty_and_missing_files_parse_to_nothing():
    assert kubeconfig.parse('', 'f', 'dest') == {}
    assert kubeconfig.parse(None, 'f', 'dest') is None


def test_access_of_an_unknown_context_or_bad_data_is_empty():
    document = kubeconfig.render(SERVER, 'c', 'u', 'ctx')
    document['users'][0]['user']['client-certificate-data'] = 'not base64!'
    assert kubeconfig.access_of(document, 'other') == {'server': None, 'ca_pem': None, 'client_cert_pem': None,
                                                       'client_key_pem': None, 'exec': None}
    assert kubeconfig.access_of(document, 'ctx')['client_cert_pem'] is None
