# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.openstack import skips_version_discovery
from ansible_collections.coe.magnum.tests.unit.data import cases


@pytest.mark.parametrize('case', cases('connection/version_discovery.yml'))
def test_v3_plugin_only_where_it_takes_every_option(case):
    assert skips_version_discovery(case['config']) is case['skips']


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
