# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
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


@pytest.mark.parametrize('text, where', [
    ('apiVersion: v1\nclusters:\n- name: a\n  cluster: {server: [x}\n',
     "line 4, column 23: expected ',' or ']', but got '}'"),
    ('apiVersion: v1\nkind: Config\n  users: x\n', 'line 3, column 8: mapping values are not allowed here'),
    ('a: b\n\tc: d\n', 'line 2, column 1: '),
])
def test_a_kubeconfig_that_does_not_parse_is_located_without_quoting_it(text, where):
    with pytest.raises(CoeError) as error:
        kubeconfig.parse(text, 'f', 'kubeconfig')
    assert error.value.msg.startswith('kubeconfig f is not a YAML kubeconfig: ' + where)
    assert '[x' not in error.value.msg and 'users: x' not in error.value.msg and 'c: d' not in error.value.msg


def test_a_yaml_error_without_a_position_gives_its_problem_or_kind():
    class Bare(yaml.YAMLError):
        pass
    assert kubeconfig.yaml_error_summary(Bare()) == 'Bare'
    located = yaml.MarkedYAMLError(context='while parsing a block', context_mark=yaml.Mark('f', 0, 1, 2, None, None))
    assert kubeconfig.yaml_error_summary(located) == 'line 2, column 3: while parsing a block'


@pytest.mark.parametrize('document', [
    {'clusters': None, 'users': [], 'contexts': []},
    {'apiVersion': 'v1'},
])
def test_kubeconfigs_with_empty_or_missing_sections_are_read(document):
    assert kubeconfig.parse(yaml.safe_dump(document), 'f', 'dest') == document


@pytest.mark.parametrize('section', ['users', 'contexts'])
def test_every_section_must_be_a_list(section):
    with pytest.raises(CoeError):
        kubeconfig.parse(yaml.safe_dump({section: {'name': 'x'}}), 'f', 'dest')


def test_merge_passes_over_entries_that_are_not_mappings_and_fills_the_header():
    existing = {'clusters': ['garbage', {'name': 'c', 'cluster': {'server': 'old'}}], 'current-context': ''}
    merged = kubeconfig.merge(existing, kubeconfig.render(SERVER, 'c', 'u', 'ctx'))
    assert merged['clusters'] == ['garbage', {'name': 'c', 'cluster': {'server': SERVER}}]
    assert (merged['apiVersion'], merged['kind'], merged['current-context'], merged['preferences']) == (
        'v1', 'Config', 'ctx', {})
    assert kubeconfig.context_names({'contexts': ['garbage', {'name': 'ctx'}]}) == ['ctx']
    assert kubeconfig.context_names(None) == []


def test_a_client_certificate_without_its_key_is_not_written():
    user = kubeconfig.render(SERVER, 'c', 'u', 'ctx', client_cert_pem='CERT')['users'][0]['user']
    assert user == {}
    user = kubeconfig.render(SERVER, 'c', 'u', 'ctx', client_key_pem='KEY')['users'][0]['user']
    assert user == {}


def test_data_fields_that_are_not_ascii_pem_read_as_nothing():
    document = kubeconfig.render(SERVER, 'c', 'u', 'ctx', ca_pem='CA')
    document['clusters'][0]['cluster']['certificate-authority-data'] = base64.b64encode(b'\xff\xfe').decode()
    assert kubeconfig.access_of(document, 'ctx')['ca_pem'] is None
    document['clusters'][0]['cluster']['certificate-authority-data'] = 'Q0E'  # padding missing
    assert kubeconfig.access_of(document, 'ctx')['ca_pem'] is None


def test_long_and_single_line_values_stay_on_one_line():
    server = 'https://' + 'a' * 200 + '.example:6443'
    text = kubeconfig.dump(kubeconfig.render(server, 'c', 'u', 'ctx', ca_pem='x' * 3000))
    assert '    server: %s\n' % server in text
    assert '|' not in text and "'" not in text


def test_data_with_characters_outside_base64_reads_as_nothing():
    document = kubeconfig.render(SERVER, 'c', 'u', 'ctx', ca_pem='CA')
    assert kubeconfig.access_of(document, 'ctx')['ca_pem'] == 'CA'
    document['clusters'][0]['cluster']['certificate-authority-data'] += '*'
    assert kubeconfig.access_of(document, 'ctx')['ca_pem'] is None


def test_without_pyyaml_the_failure_names_the_library(monkeypatch):
    import importlib.util
    import sys
    monkeypatch.setitem(sys.modules, 'yaml', None)
    spec = importlib.util.spec_from_file_location('kubeconfig_without_yaml', kubeconfig.__file__)
    without_yaml = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(without_yaml)
    with pytest.raises(CoeError) as error:
        without_yaml.parse('a: b', 'f', 'dest')
    assert error.value.msg == 'The PyYAML Python library is required (pip install PyYAML).'


def test_the_file_lists_its_fields_in_the_usual_kubeconfig_order():
    text = kubeconfig.dump(kubeconfig.render(SERVER, 'c', 'u', 'ctx'))
    assert [line.split(':')[0] for line in text.splitlines() if not line.startswith((' ', '-'))] == [
        'apiVersion', 'kind', 'clusters', 'users', 'contexts', 'current-context', 'preferences']
