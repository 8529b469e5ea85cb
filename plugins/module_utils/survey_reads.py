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

from urllib.parse import quote, urlparse

from ansible_collections.coe.magnum.plugins.module_utils.json_http import HttpAnswerError, send_json

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
            endpoint = config.get_endpoint(service_key)
            if not endpoint:
                version = str(config.get_api_version(service_key) or DEFAULT_VERSIONS[service_key])
                major = version.split('.', maxsplit=1)[0]
                endpoint = self._connection.session.get_endpoint(
                    service_type=config.get_service_type(service_key), interface=config.get_interface(service_key),
                    region_name=config.get_region_name(service_key), min_version=major,
                    max_version='%s.latest' % major)
            if not endpoint:
                raise ServiceEndpointNotFound('The cloud has no %s endpoint in its catalog.' % service_key)
            self._endpoints[service_key] = endpoint.rstrip('/')
        return self._endpoints[service_key]

    def _get(self, service_key, path, headers=None):
        return send_json(self._connection.session, 'GET', self.endpoint(service_key) + path, path,
                         headers=headers)[1] or {}

    def _pages(self, service_key, path, key, next_of):
        """Every record of a listing; next_of(body) is the next page's link or None. Only the link's query is
        followed, on this endpoint: services behind a proxy often put their own host name in it."""
        records, query = [], None
        while True:
            body = self._get(service_key, path + ('?' + query if query else ''))
            records.extend(body.get(key) or [])
            following = next_of(body)
            query = urlparse(following).query if following else None
            if not query:
                return records

    # Glance
    def images(self):
        return self._pages('image', '/images', 'images', lambda body: body.get('next'))

    # Nova
    def flavors(self):
        return self._pages('compute', '/flavors/detail', 'flavors', _next_link('flavors_links'))

    def keypairs(self):
        return [entry.get('keypair') or {} for entry in
                self._pages('compute', '/os-keypairs', 'keypairs', _next_link('keypairs_links'))]

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


def _next_link(key):
    """Nova's and Cinder's paging: the `next` entry of `<collection>_links`."""
    def next_of(body):
        links = [link.get('href') for link in body.get(key) or [] if link.get('rel') == 'next']
        return links[0] if links else None
    return next_of
