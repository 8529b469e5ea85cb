# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OpenStack connection: openstack.cloud-compatible auth options, clouds.yaml and AWX credentials."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible_collections.coe.magnum.plugins.module_utils.auth_cache import attach as attach_auth_cache
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError

try:
    import openstack
    HAS_OPENSTACKSDK = True
    OPENSTACKSDK_IMPORT_ERROR = None
except ImportError:
    HAS_OPENSTACKSDK = False
    OPENSTACKSDK_IMPORT_ERROR = traceback.format_exc()

# The same names, aliases and defaults as openstack.cloud, so module_defaults written for it carry over.
OPENSTACK_AUTH_ARGSPEC = dict(
    cloud=dict(type='raw'),
    auth=dict(type='dict', no_log=True),
    auth_type=dict(type='str'),
    region_name=dict(type='str'),
    interface=dict(type='str', default='public', choices=['public', 'internal', 'admin'],
                   aliases=['endpoint_type']),
    validate_certs=dict(type='bool', aliases=['verify']),
    ca_cert=dict(type='str', aliases=['cacert']),
    client_cert=dict(type='str', aliases=['cert']),
    client_key=dict(type='str', no_log=False, aliases=['key']),
    api_timeout=dict(type='int'),
)

APP_NAME = 'coe.magnum'


def openstack_argument_spec(**extra):
    spec = dict((name, dict(option)) for name, option in OPENSTACK_AUTH_ARGSPEC.items())
    spec.update(extra)
    return spec


def connection_kwargs(params):
    """openstacksdk connect() arguments from the module's auth options; unset options are left to clouds.yaml."""
    cloud = params.get('cloud')
    if isinstance(cloud, dict):
        # A whole cloud definition inline, as openstack.cloud allows.
        kwargs = dict(cloud)
    else:
        kwargs = {'cloud': cloud} if cloud else {}
    mapping = (('auth', 'auth'), ('auth_type', 'auth_type'), ('region_name', 'region_name'),
               ('validate_certs', 'verify'), ('ca_cert', 'cacert'), ('client_cert', 'cert'),
               ('client_key', 'key'), ('api_timeout', 'api_timeout'), ('interface', 'interface'))
    for option, sdk_name in mapping:
        if params.get(option) is not None:
            kwargs[sdk_name] = params[option]
    return kwargs


def connect(params):
    """A Connection from the auth options, OS_CLOUD, OS_CLIENT_CONFIG_FILE or a single-cloud clouds.yaml."""
    if not HAS_OPENSTACKSDK:
        raise CoeError('The openstacksdk Python library is required (pip install openstacksdk).',
                       exception=OPENSTACKSDK_IMPORT_ERROR)
    try:
        connection = openstack.connect(app_name=APP_NAME, **connection_kwargs(params))
    except openstack.exceptions.ConfigException as exc:
        raise CoeError('Cannot configure the OpenStack connection: %s. Set `cloud`, OS_CLOUD or '
                       'OS_CLIENT_CONFIG_FILE, or give `auth`.' % exc) from exc
    attach_auth_cache(connection)
    return connection
