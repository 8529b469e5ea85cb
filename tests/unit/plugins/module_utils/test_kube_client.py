# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
import yaml

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.kube_client import (
    KUBE_CONNECTION_ARGSPEC,
    KubeClient,
    KubeError,
    KubeUnreachable,
    build_configuration,
)
from ansible_collections.coe.magnum.tests.unit.data import load

KUBECONFIG = load('kube/kubeconfig.yml')


def params(**given):
    result = dict((name, None) for name in KUBE_CONNECTION_ARGSPEC)
    result.update(given)
    return result


@pytest.fixture
def kubeconfig_path(tmp_path):
    path = tmp_path / 'config'
    path.write_text(yaml.safe_dump(KUBECONFIG))
    return str(path)


def read(path):
    with open(path) as handle:
        return handle.read()


@pytest.mark.parametrize('form', ['path', 'text', 'dict'])
def test_every_form_of_kubeconfig_gives_the_same_connection(form, kubeconfig_path):
    given = {'path': kubeconfig_path, 'text': read(kubeconfig_path), 'dict': KUBECONFIG}[form]
    configuration, label = build_configuration(params(kubeconfig=given))
    assert configuration.host == 'https://127.0.0.1:27001'
    assert read(configuration.ssl_ca_cert) == 'ca-certificate'
    assert read(configuration.cert_file) == 'client-certificate'
    assert read(configuration.key_file) == 'client-key'
    assert label == 'https://127.0.0.1:27001'


def test_context_picks_cluster_and_user(kubeconfig_path):
    configuration, label = build_configuration(params(kubeconfig=kubeconfig_path, context='other'))
    assert configuration.host == 'https://10.0.0.9:6443'
    assert configuration.verify_ssl is False
    assert configuration.auth_settings()['BearerToken']['value'] == 'Bearer not-a-real-token'
    assert label == 'https://10.0.0.9:6443 (context other)'


def test_unknown_context_lists_the_contexts(kubeconfig_path):
    with pytest.raises(CoeError) as caught:
        build_configuration(params(kubeconfig=kubeconfig_path, context='prod'))
    assert caught.value.msg == 'context: prod is not a context of the kubeconfig (contexts: default, other)'


def test_missing_kubeconfig_file_is_named(tmp_path):
    with pytest.raises(CoeError, match='kubeconfig: file .*/nope does not exist'):
        build_configuration(params(kubeconfig=str(tmp_path / 'nope')))


@pytest.mark.parametrize('given, message', [
    ('clusters: [\n  - {', 'kubeconfig: the text given is not YAML'),
    ('- a\n- b\n', 'not a kubeconfig mapping'),
    (42, 'kubeconfig must be a path, the text of a kubeconfig or a dict, not int'),
    ({'clusters': []}, 'has no current-context: set context'),
])
def test_unusable_kubeconfig_content(given, message):
    with pytest.raises(CoeError, match=message):
        build_configuration(params(kubeconfig=given))


def test_kubernetes_core_style_options_without_kubeconfig(tmp_path):
    configuration, label = build_configuration(params(
        host='https://10.0.0.5:6443', ca_cert='/d/ca.pem', client_cert='/d/cert.pem', client_key='/d/key.pem',
        validate_certs=True))
    assert (configuration.host, configuration.ssl_ca_cert, configuration.cert_file, configuration.key_file,
            configuration.verify_ssl) == ('https://10.0.0.5:6443', '/d/ca.pem', '/d/cert.pem', '/d/key.pem', True)
    assert label == 'https://10.0.0.5:6443'


def test_options_override_the_kubeconfig(kubeconfig_path):
    configuration, _label = build_configuration(params(kubeconfig=kubeconfig_path, host='https://lb:6443',
                                                       api_key='t0ken', validate_certs=False))
    assert configuration.host == 'https://lb:6443'
    assert configuration.auth_settings()['BearerToken']['value'] == 'Bearer t0ken'
    assert configuration.verify_ssl is False


def test_no_connection_at_all(tmp_path, monkeypatch):
    monkeypatch.setenv('KUBECONFIG', str(tmp_path / 'missing'))
    with pytest.raises(CoeError, match='No Kubernetes connection given: set kubeconfig'):
        build_configuration(params())


def test_the_default_kubeconfig_is_used_when_nothing_is_given(kubeconfig_path, monkeypatch):
    monkeypatch.setenv('KUBECONFIG', kubeconfig_path)
    configuration, _label = build_configuration(params())
    assert configuration.host == 'https://127.0.0.1:27001'


def test_a_connection_loads_the_client_without_its_watch_stream_and_dynamic_packages(kubeconfig_path):
    # A new interpreter, as each module task is: kubernetes/__init__ would import watch, stream (websocket),
    # dynamic and the informers (jsonschema, attrs), which requests by path never use.
    import os
    import subprocess
    import sys

    code = ('import sys; from ansible_collections.coe.magnum.plugins.module_utils.kube_client import connect, '
            'KUBE_CONNECTION_ARGSPEC; '
            'params = dict((name, None) for name in KUBE_CONNECTION_ARGSPEC); params["kubeconfig"] = sys.argv[1]; '
            'client = connect(params); '
            'print(client.api_client.configuration.host); '
            'print(sorted(m for m in sys.modules if m.split(".")[:2] in (["kubernetes", "watch"], '
            '["kubernetes", "stream"], ["kubernetes", "dynamic"]) or m == "websocket"))')
    loaded = subprocess.run([sys.executable, '-c', code, kubeconfig_path], capture_output=True, text=True, check=True,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))).stdout.splitlines()
    assert loaded == ['https://127.0.0.1:27001', '[]']


class StubResponse:
    def __init__(self, status, data, reason='OK'):
        self.status = status
        self.reason = reason
        self.data = data

    def read(self):
        return self.data


class StubApiClient:
    """The surface of the kubernetes 35+ ApiClient that KubeClient uses."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.serialized = []

    def param_serialize(self, method, resource_path, query_params=None, header_params=None, body=None,
                        auth_settings=None):
        self.serialized.append(dict(method=method, path=resource_path, query=query_params, headers=header_params,
                                    body=body, auth=auth_settings))
        return method, 'https://k:6443' + resource_path, header_params, body, []

    def call_api(self, method, url, header_params=None, body=None, post_params=None, _request_timeout=None):
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def status_body(message, code):
    return json.dumps({'kind': 'Status', 'status': 'Failure', 'message': message, 'code': code}).encode()


def client_with(*answers):
    return KubeClient(StubApiClient(*answers), 'https://k:6443 (context default)', sleep=lambda seconds: None)


def test_json_answers_are_decoded_and_requests_carry_the_token_setting():
    client = client_with(StubResponse(200, b'{"gitVersion": "v1.30.4"}'))
    assert client.get('/version') == {'gitVersion': 'v1.30.4'}
    sent = client.api_client.serialized[0]
    assert sent['auth'] == ['BearerToken']
    assert sent['headers'] == {'Accept': 'application/json'}


def test_merge_patches_say_so():
    client = client_with(StubResponse(200, b'{}'))
    client.merge_patch('/api/v1/namespaces/default/persistentvolumeclaims/c', {'spec': {}})
    assert client.api_client.serialized[0]['headers']['Content-Type'] == 'application/merge-patch+json'


def test_status_message_of_a_refusal_is_quoted():
    client = client_with(StubResponse(422, status_body('StorageClass "s" is invalid: provisioner: Forbidden', 422)))
    with pytest.raises(KubeError) as caught:
        client.request('PUT', '/apis/storage.k8s.io/v1/storageclasses/s', body={})
    assert caught.value.status == 422
    assert caught.value.msg == ('Kubernetes API at https://k:6443 (context default): PUT '
                                '/apis/storage.k8s.io/v1/storageclasses/s failed: StorageClass "s" is invalid: '
                                'provisioner: Forbidden (HTTP 422)')


def test_rejected_credentials_are_one_clear_line():
    client = client_with(StubResponse(401, status_body('Unauthorized', 401), reason='Unauthorized'))
    with pytest.raises(KubeError) as caught:
        client.get('/version')
    assert '\n' not in caught.value.msg
    assert 'rejected the credentials (401 Unauthorized)' in caught.value.msg


def test_find_turns_404_into_none_and_reads_are_retried():
    client = client_with(StubResponse(503, b'busy'), StubResponse(404, status_body('not found', 404)))
    assert client.find('/api/v1/namespaces/x') is None
    assert len(client.api_client.serialized) == 2


def test_unreachable_server_is_one_line_and_retried_for_reads():
    import urllib3
    error = urllib3.exceptions.MaxRetryError(None, '/version', reason=ConnectionRefusedError(111, 'refused'))
    client = client_with(error, error, error, error)
    with pytest.raises(KubeUnreachable) as caught:
        client.get('/version')
    assert caught.value.msg == ('Cannot reach the Kubernetes API at https://k:6443 (context default): '
                                '[Errno 111] refused')
    assert len(client.api_client.serialized) == 4


def test_a_fault_in_the_client_code_is_neither_retried_nor_called_unreachable():
    client = client_with(TypeError("call_api() got an unexpected keyword argument 'body'"), StubResponse(200, b'{}'))
    with pytest.raises(TypeError):
        client.get('/version')
    assert len(client.api_client.serialized) == 1


def test_a_broken_kubeconfig_file_is_reported_by_line_without_its_text(tmp_path):
    path = tmp_path / 'config'
    path.write_text('apiVersion: v1\nusers:\n- name: u\n  user:\n    token: s3cr3t-token-value: x\n')
    with pytest.raises(CoeError) as caught:
        build_configuration({'kubeconfig': str(path)})
    assert 'line 5, column' in caught.value.msg and str(path) in caught.value.msg
    assert 's3cr3t' not in caught.value.msg and 'token-value' not in caught.value.msg


def test_a_kubeconfig_directory_is_named(tmp_path):
    with pytest.raises(CoeError, match='is a directory'):
        build_configuration({'kubeconfig': str(tmp_path)})


def test_writes_are_not_repeated_on_errors():
    still_there = json.dumps({'metadata': {'name': 's'}}).encode()
    client = client_with(StubResponse(500, status_body('etcd timeout', 500)), StubResponse(200, still_there))
    with pytest.raises(KubeError, match='etcd timeout'):
        client.delete('/apis/storage.k8s.io/v1/storageclasses/s')
    assert [sent['method'] for sent in client.api_client.serialized] == ['DELETE', 'GET']


def test_answers_that_are_not_json_are_reported():
    client = client_with(StubResponse(200, b'<html>proxy</html>'))
    with pytest.raises(KubeError, match='with something that is not JSON'):
        client.get('/version')


class OldGeneratorApiClient:
    """The call_api of kubernetes clients before 35, which raises ApiException itself."""

    def __init__(self, answer):
        self.answer = answer
        self.calls = []

    def call_api(self, path, method, **kwargs):
        self.calls.append((path, method, kwargs))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_older_clients_work_the_same():
    from kubernetes.client.exceptions import ApiException
    ok = KubeClient(OldGeneratorApiClient(StubResponse(200, b'{"kind": "APIGroup"}')), 'https://k:6443')
    assert ok.get('/apis/storage.k8s.io') == {'kind': 'APIGroup'}
    assert ok.api_client.calls[0][2]['auth_settings'] == ['BearerToken']
    refused = ApiException(status=403, reason='Forbidden')
    refused.body = status_body('forbidden: User "x"', 403).decode()
    failing = KubeClient(OldGeneratorApiClient(refused), 'https://k:6443')
    with pytest.raises(KubeError, match=r'forbidden: User "x" \(HTTP 403\)'):
        failing.get('/version')


def test_kubernetes_core_proxy_and_basic_auth_options(tmp_path):
    configuration, _label = build_configuration(params(
        host='http://10.0.0.5:8080', username='admin', password='s3cret', proxy='http://proxy:3128',
        no_proxy='10.0.0.0/8', proxy_headers={'proxy_basic_auth': 'u:p', 'basic_auth': None, 'user_agent': 'ua'}))
    # admin:s3cret in base64
    assert configuration.auth_settings()['BearerToken']['value'] == 'Basic YWRtaW46czNjcmV0'
    assert (configuration.proxy, configuration.no_proxy) == ('http://proxy:3128', '10.0.0.0/8')
    assert configuration.proxy_headers == {'proxy-authorization': 'Basic dTpw', 'user-agent': 'ua'}


def test_a_token_wins_over_basic_auth():
    configuration, _label = build_configuration(params(host='http://k:8080', username='admin', password='x',
                                                       api_key='t0ken'))
    assert configuration.auth_settings()['BearerToken']['value'] == 'Bearer t0ken'


@pytest.fixture
def recording_server():
    """A local HTTP server that answers {} and records the headers of each request, as sent on the wire."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            received.append(self.headers)
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.end_headers()
            self.wfile.write(b'{}')

        def log_message(self, *args):
            pass

    server = HTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % server.server_port, received
    server.shutdown()


def test_impersonation_sends_one_header_per_group(recording_server):
    from kubernetes import client as kube_client_lib
    url, received = recording_server
    configuration, label = build_configuration(params(host=url, api_key='t0ken'))
    client = KubeClient(kube_client_lib.ApiClient(configuration=configuration), label,
                        impersonate_user='alice', impersonate_groups=['dev', 'viewers'])

    assert client.get('/version') == {}

    headers = received[0]
    assert headers.get_all('Impersonate-User') == ['alice']
    assert headers.get_all('Impersonate-Group') == ['dev', 'viewers']
    assert headers['Authorization'] == 'Bearer t0ken'


def test_every_request_has_a_timeout_that_api_timeout_overrides():
    timeouts = []

    class Recording(StubApiClient):
        def call_api(self, method, url, header_params=None, body=None, post_params=None, _request_timeout=None):
            timeouts.append(_request_timeout)
            return super(Recording, self).call_api(method, url, header_params, body, post_params, _request_timeout)

    KubeClient(Recording(StubResponse(200, b'{}')), 'k', sleep=lambda seconds: None).get('/version')
    KubeClient(Recording(StubResponse(200, b'{}')), 'k', sleep=lambda seconds: None, timeout=7).delete('/x')
    assert timeouts == [60, 7]


def test_a_delete_whose_answer_was_lost_is_done_when_the_object_is_gone():
    import urllib3
    lost = urllib3.exceptions.ProtocolError('Connection aborted.', ConnectionResetError(104, 'reset by peer'))
    client = client_with(lost, StubResponse(404, status_body('not found', 404)))
    assert client.delete('/apis/storage.k8s.io/v1/storageclasses/s') == {}
    assert [sent['method'] for sent in client.api_client.serialized] == ['DELETE', 'GET']


def test_a_delete_answered_502_is_done_when_the_object_is_being_deleted():
    terminating = {'metadata': {'name': 'c', 'deletionTimestamp': '2026-12-06T23:00:00Z'}}
    client = client_with(StubResponse(502, b'bad gateway'), StubResponse(200, json.dumps(terminating).encode()))
    assert client.delete('/api/v1/namespaces/n/persistentvolumeclaims/c') == terminating


def test_a_patch_whose_answer_was_lost_is_done_when_the_object_holds_it():
    patch = {'allowVolumeExpansion': True, 'metadata': {'annotations': {'a': None}}}
    patched = {'metadata': {'name': 's', 'annotations': {}}, 'allowVolumeExpansion': True}
    client = client_with(StubResponse(504, b'gateway timeout'), StubResponse(200, json.dumps(patched).encode()))
    assert client.merge_patch('/apis/storage.k8s.io/v1/storageclasses/s', patch) == patched
    assert [sent['method'] for sent in client.api_client.serialized] == ['PATCH', 'GET']


def test_a_patch_that_did_not_happen_keeps_its_error_and_is_not_sent_again():
    unpatched = {'metadata': {'name': 's'}, 'allowVolumeExpansion': False}
    client = client_with(StubResponse(503, status_body('etcd busy', 503)),
                         StubResponse(200, json.dumps(unpatched).encode()))
    with pytest.raises(KubeError, match='etcd busy'):
        client.merge_patch('/apis/storage.k8s.io/v1/storageclasses/s', {'allowVolumeExpansion': True})
    assert [sent['method'] for sent in client.api_client.serialized] == ['PATCH', 'GET']


def test_a_refused_delete_is_not_confirmed_by_a_read():
    client = client_with(StubResponse(403, status_body('forbidden', 403)))
    with pytest.raises(KubeError, match='forbidden'):
        client.delete('/apis/storage.k8s.io/v1/storageclasses/s')
    assert len(client.api_client.serialized) == 1
