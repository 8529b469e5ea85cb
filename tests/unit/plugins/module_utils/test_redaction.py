# -*- coding: utf-8 -*-
"""The secret parts of options never reach a module's result, -vvv invocation, warnings, tracebacks or syslog.

Each case runs the real CoeAnsibleModule (ansible-core's AnsibleModule) on the parameters and reads what it
prints and what it hands to syslog or journald.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import contextlib
import io
import json
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common import warnings as ansible_warnings

from ansible_collections.coe.magnum.plugins.module_utils.certificates import generate_private_key, private_key_pem
from ansible_collections.coe.magnum.plugins.module_utils.kube_client import KUBE_CONNECTION_ARGSPEC
from ansible_collections.coe.magnum.plugins.module_utils.openstack import OPENSTACK_AUTH_ARGSPEC
from ansible_collections.coe.magnum.plugins.module_utils.redaction import CoeAnsibleModule, secret_values
from ansible_collections.coe.magnum.tests.unit.fakes import patch_module_args

SPEC = dict(OPENSTACK_AUTH_ARGSPEC, **{k: v for k, v in KUBE_CONNECTION_ARGSPEC.items()
                                       if k not in OPENSTACK_AUTH_ARGSPEC})
SPEC['http_proxy'] = dict(type='str')
SPEC['kube'] = dict(type='raw')  # a second inline kubeconfig, for the client_key clash of the two specs
KEY_PEM = private_key_pem(generate_private_key('rsa', 2048))
KEY_DATA = base64.b64encode(KEY_PEM.encode()).decode()
KEY_BODY = ''.join(line for line in KEY_PEM.splitlines() if not line.startswith('-----'))

KUBECONFIG = {
    'apiVersion': 'v1', 'kind': 'Config', 'current-context': 'c',
    'clusters': [{'name': 'c', 'cluster': {'server': 'https://10.0.0.5:6443'}}],
    'users': [{'name': 'u', 'user': {'client-key-data': KEY_DATA, 'token': 'kube-token-4711abcdef'}}],
    'contexts': [{'name': 'c', 'context': {'cluster': 'c', 'user': 'u'}}],
}

# (case, parameters, the secrets, what must stay visible)
CASES = [
    ('cloud dict password', {'cloud': {'auth': {'auth_url': 'https://keystone.example:5000/v3', 'username': 'demo',
                                                'password': 'pw-cloud-dict-0001', 'project_name': 'demo'}}},
     ['pw-cloud-dict-0001'], ['https://keystone.example:5000/v3']),
    ('cloud dict application credential', {'cloud': {'auth_type': 'v3applicationcredential', 'auth': {
        'auth_url': 'https://keystone.example/v3', 'application_credential_id': 'appcred-id-1',
        'application_credential_secret': 'appcred-secret-0002'}}}, ['appcred-secret-0002'], ['appcred-id-1']),
    ('cloud dict token', {'cloud': {'auth_type': 'token', 'auth': {'auth_url': 'https://keystone.example/v3',
                                                                   'token': 'gAAAAAtoken0003xyz'}}},
     ['gAAAAAtoken0003xyz'], ['https://keystone.example/v3']),
    ('auth password', {'cloud': 'mycloud',
                       'auth': {'auth_url': 'https://keystone.example/v3', 'password': 'pw-auth-0004'}},
     ['pw-auth-0004'], ['mycloud', 'https://keystone.example/v3']),
    ('inline kubeconfig dict', {'kubeconfig': KUBECONFIG},
     [KEY_DATA, KEY_PEM, KEY_BODY, 'kube-token-4711abcdef'], ['https://10.0.0.5:6443']),
    ('inline kubeconfig text', {'kubeconfig': json.dumps(KUBECONFIG, indent=1)},
     [KEY_DATA, KEY_BODY, 'kube-token-4711abcdef'], []),
    ('inline kubeconfig not YAML', {'kubeconfig': 'users:\n  - user: {client-key-data: %s\n  : :' % KEY_DATA},
     [KEY_DATA], []),
    ('api_key', {'api_key': 'api-key-0005-secret', 'host': 'https://10.0.0.6:6443'},
     ['api-key-0005-secret'], ['https://10.0.0.6:6443']),
    ('proxy url credentials', {'http_proxy': 'http://proxyuser:proxy-pw-0006@proxy.example:3128'},
     ['proxy-pw-0006'], ['proxyuser', 'proxy.example:3128']),
]


def run(params, body, verbosity=3):
    """The JSON the module prints, and every message it logs, for body(module) run on params."""
    logged = []
    printed = []
    args = dict(params, _ansible_verbosity=verbosity)
    # ansible-core 2.19 prints a module's result through _record_module_result; older cores print it to stdout.
    if hasattr(basic.AnsibleModule, '_record_module_result'):
        recording = mock.patch.object(basic.AnsibleModule, '_record_module_result', lambda self, o: printed.append(o))
    else:
        recording = contextlib.nullcontext()
    stdout = io.StringIO()
    warnings, deprecations = ansible_warnings._global_warnings, ansible_warnings._global_deprecations
    with patch_module_args(args), \
            mock.patch.object(ansible_warnings, '_global_warnings', type(warnings)()), \
            mock.patch.object(ansible_warnings, '_global_deprecations', type(deprecations)()), \
            mock.patch.object(basic, 'has_journal', False), \
            mock.patch.object(basic.AnsibleModule, '_log_to_syslog', lambda self, msg: logged.append(msg)), \
            recording, contextlib.redirect_stdout(stdout):
        with pytest.raises(SystemExit):
            module = CoeAnsibleModule(argument_spec=dict((k, dict(v)) for k, v in SPEC.items()))
            body(module)
    if not printed and stdout.getvalue().strip():
        printed.append(json.loads(stdout.getvalue().strip().splitlines()[-1]))
    assert printed, 'the module printed nothing'
    return json.dumps(printed[-1], default=repr), '\n'.join(logged)


def assert_hidden(text, secrets):
    for secret in secrets:
        assert secret not in text, 'secret %r... in %s' % (secret[:12], text[:300])


@pytest.mark.parametrize('case, params, secrets, visible', CASES, ids=[case[0] for case in CASES])
def test_secrets_are_masked_in_results_invocation_and_syslog(case, params, secrets, visible):
    def body(module):
        module.warn('retrying with %s' % secrets[0])
        module.exit_json(changed=False, echoed=secrets[0], note='it was %s' % secrets[-1])
    output, logged = run(params, body)
    assert logged.startswith('Invoked with'), logged
    assert_hidden(output, secrets)
    assert_hidden(logged, secrets)
    for text in visible:
        assert text in output and text in logged, '%r should stay visible' % text


@pytest.mark.parametrize('case, params, secrets, visible', CASES, ids=[case[0] for case in CASES])
def test_secrets_are_masked_in_failures_and_tracebacks(case, params, secrets, visible):
    def body(module):
        try:
            raise ValueError('cannot use %s' % secrets[0])
        except ValueError as exc:
            module.fail_json(msg='failed with %s' % secrets[-1], exception=exc)
    output, _logged = run(params, body)
    assert '"failed": true' in output
    assert_hidden(output, secrets)


def test_a_validation_failure_does_not_print_the_secrets():
    """ansible-core fails on an unknown option inside __init__, with the invocation in the result."""
    params = dict(CASES[0][1], not_an_option=1)
    output, _logged = run(params, lambda module: None)
    assert 'not_an_option' in output
    assert_hidden(output, ['pw-cloud-dict-0001'])


def test_every_form_of_a_kubeconfig_key_is_known():
    values = secret_values({'kubeconfig': KUBECONFIG})
    assert {KEY_DATA, KEY_PEM, KEY_BODY} <= values
    body_lines = [line for line in KEY_PEM.splitlines() if not line.startswith('-----')]
    assert set(body_lines[1:-1]) <= values


def test_names_and_servers_are_not_secrets():
    values = secret_values({'cloud': 'mycloud', 'auth': {'auth_url': 'https://k.example/v3', 'username': 'demo',
                                                         'project_name': 'demo', 'user_domain_name': 'Default'},
                            'auth_type': 'token', 'kubeconfig': '/home/demo/.kube/config', 'context': 'c1'})
    assert values == set()


def test_url_passwords_read_from_the_cloud_are_masked():
    """A template's proxy URL comes back from Magnum to a module that was never given it."""
    def body(module):
        module.exit_json(changed=False, cluster_templates=[{'http_proxy': 'http://bob:read-back-pw-7@proxy:3128',
                                                            'no_proxy': 'localhost'}])
    output, _logged = run({'cloud': 'mycloud'}, body)
    assert 'read-back-pw-7' not in output
    assert 'http://bob:********@proxy:3128' in output
