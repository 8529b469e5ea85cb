# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OpenStack connection: openstack.cloud-compatible auth options, clouds.yaml and AWX credentials."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from urllib.parse import urlparse

from ansible_collections.coe.magnum.plugins.module_utils.run_cache import attach as attach_auth_cache
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.light_import import submodules, whole_package

try:
    # Only the clouds.yaml loader and what it needs (keystoneauth, the SDK's exceptions): the SDK's service proxies
    # are imported by SdkConnection when a module first uses one (see light_import for why).
    sdk_config, sdk_exceptions, sdk_log = submodules('openstack', 'config', 'exceptions', '_log')
    from keystoneauth1 import loading as auth_loading
    HAS_OPENSTACKSDK = True
    OPENSTACKSDK_IMPORT_ERROR = None
except ImportError:
    HAS_OPENSTACKSDK = False
    OPENSTACKSDK_IMPORT_ERROR = traceback.format_exc()

# The same names, aliases and defaults as openstack.cloud, so module_defaults written for it carry over.
OPENSTACK_AUTH_ARGSPEC = dict(
    cloud=dict(type='raw'),
    # Not no_log as a whole: the auth URL and project stay visible; module_utils.redaction masks the password,
    # token and secrets inside it (and inside a `cloud` dict) wherever the module's output could show them.
    auth=dict(type='dict', no_log=False),
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

# The rest of openstack.cloud's common options, so that its module_defaults blocks apply unchanged. A module that
# waits declares wait and timeout itself; the others accept them and ignore them, as openstack.cloud's info
# modules do.
OPENSTACK_COMMON_ARGSPEC = dict(
    wait=dict(type='bool'),
    timeout=dict(type='int'),
    sdk_log_path=dict(type='str'),
    sdk_log_level=dict(type='str', default='INFO', choices=['INFO', 'DEBUG']),
)

APP_NAME = 'coe.magnum'
# Every request has a timeout unless the task or clouds.yaml sets another: a half-open connection (a proxy that
# stopped answering) fails the request instead of hanging the task past its own timeout. A write that times out is
# an unknown outcome, confirmed by a read like a cut connection.
DEFAULT_API_TIMEOUT = 120


def openstack_argument_spec(**extra):
    spec = dict((name, dict(option)) for name, option in OPENSTACK_AUTH_ARGSPEC.items())
    spec.update((name, dict(option)) for name, option in OPENSTACK_COMMON_ARGSPEC.items())
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


def service_endpoint(connection, service_type, major_version=None):
    """The URL of a service, or the cloud's override of it: the catalog's as it is (no version discovery request),
    or with major_version the versioned one that keystoneauth's discovery finds, as openstacksdk finds it."""
    config = connection.config
    versions = dict(min_version=major_version, max_version='%s.latest' % major_version) if major_version else {}
    return config.get_endpoint(service_type) or connection.session.get_endpoint(
        service_type=service_type, interface=config.get_interface(service_type),
        region_name=config.get_region_name(service_type), **versions)


def skips_version_discovery(config):
    """Whether the generic password plugin can give way to the v3 one, which authenticates without first asking
    Keystone for its versions: the auth URL names v3 and every auth option is one the v3 plugin takes."""
    auth = config.get('auth') or {}
    if config.get('auth_type') not in (None, 'password') or not auth.get('auth_url'):
        return False
    if not urlparse(auth['auth_url']).path.rstrip('/').endswith('/v3'):
        return False
    accepted = set(option.dest for option in auth_loading.get_plugin_loader('v3password').get_options())
    return set(auth) <= accepted


class SdkConnection:
    """What the modules use of an openstacksdk Connection: `config` (the CloudRegion), `session`,
    `current_project_id`, `service_catalog` and `authorize()` come from the clouds.yaml loader and keystoneauth alone;
    any other attribute (the service proxies `network`, `image`, `compute`, ...) comes from a real
    openstack.connection.Connection on the same CloudRegion, built on first use. The SDK's proxies and resources
    are about half of its import time, and most module runs never touch them: Magnum and Heat are read through the
    session (magnum_http, heat). Both share one keystoneauth session (CloudRegion.get_session() keeps it), so one
    token serves both and the token cache sees every authentication."""

    def __init__(self, region):
        self.config = region
        self._sdk = None

    @property
    def session(self):
        return self.config.get_session()

    @property
    def current_project_id(self):
        # What openstacksdk's Connection.current_project_id returns: the token's project.
        return self.session.get_project_id()

    @property
    def service_catalog(self):
        """The token's catalog, a list of {'type', 'name', 'endpoints'} (openstacksdk's Connection.service_catalog)."""
        session = self.session
        return session.auth.get_access(session).service_catalog.catalog

    def authorize(self):
        """A token for the connection, authenticating if it holds none (openstacksdk's Connection.authorize)."""
        return self.session.get_token()

    def __getattr__(self, name):
        # Called only for attributes not defined above.
        if name.startswith('__') or name == '_sdk':
            raise AttributeError(name)
        if self._sdk is None:
            self._sdk = whole_package('openstack').connection.Connection(config=self.config)
        return getattr(self._sdk, name)


def connect(params):
    """A Connection from the auth options, OS_CLOUD, OS_CLIENT_CONFIG_FILE or a single-cloud clouds.yaml."""
    if not HAS_OPENSTACKSDK:
        raise CoeError('The openstacksdk Python library is required (pip install openstacksdk).',
                       exception=OPENSTACKSDK_IMPORT_ERROR)
    kwargs = connection_kwargs(params)
    if params.get('sdk_log_path'):
        # As openstack.cloud does: DEBUG also logs each HTTP request (keystoneauth masks credentials).
        debug = params.get('sdk_log_level') == 'DEBUG'
        sdk_log.enable_logging(debug=debug, http_debug=debug, path=params['sdk_log_path'])
    try:
        region = sdk_config.get_cloud_region(app_name=APP_NAME, **kwargs)
        if skips_version_discovery(region.config):
            region = sdk_config.get_cloud_region(app_name=APP_NAME, **dict(kwargs, auth_type='v3password'))
        if region.config.get('api_timeout') is None:
            region.config['api_timeout'] = DEFAULT_API_TIMEOUT
        connection = SdkConnection(region)
    except sdk_exceptions.ConfigException as exc:
        raise CoeError('Cannot configure the OpenStack connection: %s. Set `cloud`, OS_CLOUD or '
                       'OS_CLIENT_CONFIG_FILE, or give `auth`.' % exc) from exc
    attach_auth_cache(connection)
    return connection
