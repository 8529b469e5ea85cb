# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Glance's, Nova's and Cinder's REST APIs over the connection's keystoneauth session: the reads of the cloud survey
(magnum_cloud_info), without openstacksdk's Connection, whose import brings every service's proxy and resources.

Each service's versioned endpoint is found as openstacksdk finds it: the cloud's endpoint override, else
keystoneauth's version discovery on the catalog entry (which also knows a service's older catalog names, such as
volumev3 for block-storage), for the major API version clouds.yaml asks for or openstacksdk's default. Records are the
services' JSON objects (plain dicts).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import quote

from ansible_collections.coe.magnum.plugins.module_utils.json_http import (
    HttpAnswerError, follow_pages, next_link, send_json,
)
from ansible_collections.coe.magnum.plugins.module_utils.openstack import service_endpoint

# openstacksdk's default major versions (openstack/config/defaults.json).
DEFAULT_VERSIONS = {'image': '2', 'compute': '2', 'block-storage': '3'}
# Cinder's API for the default volume type.
DEFAULT_TYPE_MICROVERSION = '3.62'


class ServiceEndpointNotFound(Exception):
    """A service the survey reads is not in the catalog."""


class SurveyReads:
    """The survey's reads of Glance, Nova and Cinder, one request per page."""

    def __init__(self, connection):
        self._connection = connection
        self._endpoints = {}

    def endpoint(self, service_key):
        """The service's versioned URL (found once per service)."""
        if service_key not in self._endpoints:
            config = self._connection.config
            version = str(config.get_api_version(service_key) or DEFAULT_VERSIONS[service_key])
            endpoint = service_endpoint(self._connection, config.get_service_type(service_key),
                                        version.split('.', maxsplit=1)[0])
            if not endpoint:
                raise ServiceEndpointNotFound('The cloud has no %s endpoint in its catalog.' % service_key)
            self._endpoints[service_key] = endpoint.rstrip('/')
        return self._endpoints[service_key]

    def _get(self, service_key, path, headers=None):
        return send_json(self._connection.session, 'GET', self.endpoint(service_key) + path, path,
                         headers=headers)[1] or {}

    def _pages(self, service_key, path, key, next_of):
        return follow_pages(lambda page: self._get(service_key, page), path, None, key, next_of)

    # Glance
    def images(self):
        return self._pages('image', '/images', 'images', lambda body: body.get('next'))

    # Nova
    def flavors(self):
        return self._pages('compute', '/flavors/detail', 'flavors', next_link('flavors_links'))

    def keypairs(self):
        return [entry.get('keypair') or {} for entry in
                self._pages('compute', '/os-keypairs', 'keypairs', next_link('keypairs_links'))]

    def compute_quota(self, project_id):
        """{resource: {'limit', 'in_use', 'reserved'}} of the project."""
        path = '/os-quota-sets/%s/detail' % quote(str(project_id), safe='')
        return self._get('compute', path).get('quota_set') or {}

    # Cinder
    def volume_types(self):
        return self._get('block-storage', '/types').get('volume_types') or []

    def volume_zones(self):
        return self._get('block-storage', '/os-availability-zone').get('availabilityZoneInfo') or []

    def default_volume_type(self):
        """The name of the project's default volume type, or None where Cinder is older than 3.62."""
        try:
            body = self._get('block-storage', '/types/default',
                             headers={'OpenStack-API-Version': 'volume %s' % DEFAULT_TYPE_MICROVERSION})
        except HttpAnswerError:
            return None
        return (body.get('volume_type') or {}).get('name')

    def volume_quota(self, project_id):
        """{resource: {'limit', 'in_use', ...}} of the project."""
        path = '/os-quota-sets/%s?usage=True' % quote(str(project_id), safe='')
        return self._get('block-storage', path).get('quota_set') or {}
