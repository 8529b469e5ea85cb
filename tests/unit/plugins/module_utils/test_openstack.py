# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.openstack import skips_version_discovery
from ansible_collections.coe.magnum.tests.unit.data import cases


@pytest.mark.parametrize('case', cases('connection/version_discovery.yml'))
def test_v3_plugin_only_where_it_takes_every_option(case):
    assert skips_version_discovery(case['config']) is case['skips']


# openstack.cloud's module_defaults block for group/openstack.cloud.openstack, as its users write one: every option
# of its common argument spec (openstack_full_argument_spec in openstack.cloud 2.x).
OPENSTACK_CLOUD_DEFAULTS = dict(
    cloud='mycloud', auth={'auth_url': 'https://keystone:5000/v3'}, auth_type='password', region_name='RegionOne',
    validate_certs=True, ca_cert='/etc/ca.pem', client_cert='/etc/cert.pem', client_key='/etc/key.pem',
    wait=True, timeout=600, api_timeout=30, interface='internal', sdk_log_path='/tmp/sdk.log',
    sdk_log_level='DEBUG',
)

MODULE_CLASSES = [
    ('magnum_cluster', 'ClusterModule'),
    ('magnum_cluster_config', 'ClusterConfigModule'),
    ('magnum_cluster_info', 'ClusterInfoModule'),
    ('magnum_cluster_ports', 'ClusterPortsModule'),
    ('magnum_cluster_template', 'ClusterTemplateModule'),
    ('magnum_cluster_template_info', 'ClusterTemplateInfoModule'),
]


@pytest.mark.parametrize(('module', 'class_name'), MODULE_CLASSES)
def test_every_module_takes_openstack_cloud_module_defaults(module, class_name):
    import importlib

    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    from ansible_collections.coe.magnum.plugins.module_utils.openstack import openstack_argument_spec

    module_class = getattr(importlib.import_module('ansible_collections.coe.magnum.plugins.modules.' + module),
                           class_name)
    result = ArgumentSpecValidator(openstack_argument_spec(**module_class.argument_spec)).validate(
        dict(OPENSTACK_CLOUD_DEFAULTS))

    assert [str(error) for error in result.errors if 'Unsupported parameters' in str(error)] == []
    assert dict((name, result.validated_parameters[name]) for name in OPENSTACK_CLOUD_DEFAULTS) == \
        OPENSTACK_CLOUD_DEFAULTS


def test_sdk_log_path_writes_the_sdk_log(tmp_path):
    import logging

    from ansible_collections.coe.magnum.plugins.module_utils.openstack import connect

    log_path = tmp_path / 'sdk.log'
    try:
        connect(dict(cloud={'auth_type': 'none', 'endpoint': 'http://127.0.0.1:9'}, sdk_log_path=str(log_path),
                     sdk_log_level='DEBUG'))
        logging.getLogger('openstack').debug('coe.magnum unit test line')
    finally:
        for name in ('openstack', 'keystoneauth'):
            for handler in list(logging.getLogger(name).handlers):
                if getattr(handler, 'baseFilename', None) == str(log_path):
                    logging.getLogger(name).removeHandler(handler)
                    handler.close()
    assert 'coe.magnum unit test line' in log_path.read_text()


AUTH = {'auth_url': 'http://keystone.invalid:5000/v3', 'username': 'u', 'password': 'p', 'project_name': 'p',
        'user_domain_name': 'Default', 'project_domain_name': 'Default'}


@pytest.mark.parametrize('params,timeout', [({}, 120), ({'api_timeout': 7}, 7)])
def test_every_openstack_request_has_a_timeout(params, timeout, monkeypatch, tmp_path):
    from ansible_collections.coe.magnum.plugins.module_utils import openstack as openstack_utils
    monkeypatch.setattr(openstack_utils, 'attach_auth_cache', lambda connection: None)
    for name in ('OS_CLOUD', 'OS_CLIENT_CONFIG_FILE'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HOME', str(tmp_path))  # no clouds.yaml of the user's
    connection = openstack_utils.connect(dict(params, auth=dict(AUTH)))
    assert connection.session.timeout == timeout


@pytest.mark.parametrize('module', ['magnum_cluster', 'magnum_cluster_ports'])
def test_a_module_that_reads_magnum_heat_and_neutron_loads_no_sdk_proxies(module):
    # A new interpreter, as each module task is: what the module's import loads is what every task pays for.
    import os
    import subprocess
    import sys

    code = ('import sys; import ansible_collections.coe.magnum.plugins.modules.%s; '
            'print(sorted(m for m in sys.modules if m.startswith("openstack.")))' % module)
    loaded = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))).stdout
    assert "'openstack.config'" in loaded
    assert "'openstack.connection'" not in loaded and "'openstack.network" not in loaded


def test_the_whole_sdk_is_built_on_first_use_on_the_same_session(monkeypatch, tmp_path):
    import sys

    from ansible_collections.coe.magnum.plugins.module_utils import openstack as openstack_utils
    monkeypatch.setattr(openstack_utils, 'attach_auth_cache', lambda connection: None)
    for name in ('OS_CLOUD', 'OS_CLIENT_CONFIG_FILE'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HOME', str(tmp_path))
    connection = openstack_utils.connect(dict(auth=dict(AUTH), api_timeout=9))
    session = connection.session

    # Any attribute the light connection does not have comes from openstacksdk's Connection (no request here:
    # a bound method; a service proxy would ask the endpoint for its versions).
    assert connection.list_servers.__self__ is connection._sdk
    assert type(connection._sdk).__module__ == 'openstack.connection'
    assert connection._sdk.session is session and connection._sdk.config is connection.config
    assert hasattr(sys.modules['openstack'], 'connect')  # the package as a plain import leaves it
    assert session.timeout == 9
