# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  cloud:
    description:
      - Named cloud from C(clouds.yaml), or a dict with a whole cloud definition.
      - When unset, C(OS_CLOUD) names the cloud; when that is unset too and C(clouds.yaml) (for example the file
        AWX writes and points C(OS_CLIENT_CONFIG_FILE) at) holds a single cloud, that cloud is used.
    type: raw
  auth:
    description:
      - Authentication options for the chosen O(auth_type), for example C(auth_url), C(username),
        C(password), C(project_name), C(user_domain_name), C(project_domain_name).
      - Overrides what C(clouds.yaml) gives for the cloud.
    type: dict
  auth_type:
    description:
      - The keystoneauth plugin, for example C(password), C(v3applicationcredential) or C(token).
      - With C(password) (or none) and a C(auth_url) ending in C(/v3), the module authenticates with the
        C(v3password) plugin, which does not first ask Keystone for its versions (one request less per task),
        unless an option only the generic plugin knows (such as C(default_domain_id)) is set.
    type: str
  region_name:
    description:
      - Region of the cloud to use.
    type: str
  interface:
    description:
      - The endpoint interface of the service catalog to use.
    type: str
    default: public
    choices: [public, internal, admin]
    aliases: [endpoint_type]
  validate_certs:
    description:
      - Whether to verify the TLS certificates of the cloud's endpoints. Defaults to the cloud's configuration
        (verification on).
    type: bool
    aliases: [verify]
  ca_cert:
    description:
      - Path to a CA bundle for verifying the cloud's endpoints.
    type: str
    aliases: [cacert]
  client_cert:
    description:
      - Path to a client certificate for the cloud's endpoints.
    type: str
    aliases: [cert]
  client_key:
    description:
      - Path to the private key of O(client_cert).
    type: str
    aliases: [key]
  api_timeout:
    description:
      - Timeout in seconds of each API request, so that a connection that stops answering never hangs the task.
      - Defaults to the cloud's C(api_timeout) in clouds.yaml, else 120 seconds.
      - A write that times out is treated as a write whose answer was lost; it is confirmed by a read, and a
        cluster create is never sent twice.
    type: int
  sdk_log_path:
    description:
      - Path of a file the openstacksdk library logs to, as with openstack.cloud.
    type: str
  sdk_log_level:
    description:
      - Level of the openstacksdk log written to O(sdk_log_path); V(DEBUG) also logs every HTTP request.
    type: str
    default: INFO
    choices: [INFO, DEBUG]
requirements:
  - python >= 3.9
  - openstacksdk >= 1.0.0
notes:
  - The options are those of the openstack.cloud collection's common argument spec, so C(module_defaults) written
    for it apply through the action group C(group/coe.magnum.magnum), which also includes
    C(group/openstack.cloud.openstack) defaults when openstack.cloud's group is listed in the play.
  - Passwords and tokens never appear in results or logs.
  - Consecutive tasks reuse the Keystone token and Magnum's API version range instead of authenticating in every
    task, and the C(coe) and C(tls_disabled) of the templates read (which Magnum never changes while a cluster uses
    the template), through a cache in C(~/.cache/coe.magnum). The cache files are private to the OS user (mode 0600
    in a 0700 directory, written without following links, ignored when another user owns them or others can read
    them) and keyed by cloud, region and credentials. The environment variable C(COE_MAGNUM_AUTH_CACHE) names
    another directory or, set to C(0) or C(off), turns the cache off.
'''

    # For modules with nothing to wait for: openstack.cloud's wait and timeout, accepted and ignored.
    IGNORED_WAIT = r'''
options:
  wait:
    description:
      - Accepted so that C(module_defaults) written for openstack.cloud apply; this module has nothing to wait
        for and ignores it.
    type: bool
  timeout:
    description:
      - Accepted so that C(module_defaults) written for openstack.cloud apply; this module ignores it.
    type: int
'''
