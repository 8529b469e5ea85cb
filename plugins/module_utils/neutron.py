# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Neutron's REST API over the connection's keystoneauth session: the security group, rule, port, floating IP
and network requests the collection makes, without openstacksdk's network proxy (whose import and set-up cost a
module run more than its requests do)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import quote, urlencode, urlparse

from ansible_collections.coe.magnum.plugins.module_utils.json_http import (
    HttpAnswerError, follow_pages, next_link, send_json,
)
from ansible_collections.coe.magnum.plugins.module_utils.openstack import service_endpoint

try:
    from keystoneauth1.exceptions import EndpointNotFound
except ImportError:  # openstacksdk, which the modules need anyway, brings keystoneauth1
    class EndpointNotFound(Exception):
        pass

API_PATH = '/v2.0'


class NeutronHttpError(HttpAnswerError):
    """An error answer of Neutron: its status, request ID and body (`{"NeutronError": {"message": ...}}`)."""


def resource_path(collection, ident=None):
    """/<collection>[/<id>], the ID escaped: a name or ID never reaches Neutron as another path or a query."""
    return '/%s' % collection + ('/' + quote(str(ident), safe='') if ident is not None else '')


def json_key(collection):
    """The key of a collection in Neutron's JSON: `security-groups` in a path is `security_groups` in a body."""
    return collection.replace('-', '_')


def query_string(filters):
    """Neutron's filters as a query; a list value repeats the key (`id=a&id=b`), which Neutron reads as "any of"."""
    pairs = sorted((key, value) for key, value in filters.items() if value is not None)
    return urlencode(pairs, doseq=True)


class NeutronApi:
    """The Neutron requests of the security group code; records are Neutron's JSON objects (plain dicts)."""

    def __init__(self, connection):
        self._connection = connection
        self._endpoint = None

    def _url(self, path):
        return self.endpoint() + path

    def endpoint(self):
        """Neutron's URL with its API version (found once)."""
        if self._endpoint is None:
            endpoint = service_endpoint(self._connection, 'network')
            if not endpoint:
                raise EndpointNotFound('The cloud has no network (Neutron) endpoint in its catalog.')
            endpoint = endpoint.rstrip('/')
            # Catalogs list Neutron with or without its only API version.
            if not urlparse(endpoint).path.rstrip('/').endswith(API_PATH):
                endpoint += API_PATH
            self._endpoint = endpoint
        return self._endpoint

    def _request(self, method, path, body=None, allow_reauth=True):
        return send_json(self._connection.session, method, self._url(path), path, body, allow_reauth=allow_reauth,
                         error=NeutronHttpError)[1]

    def _list(self, collection, allow_reauth=True, **filters):
        """Every record, following Neutron's `<collection>_links` when the server pages its answers."""
        key = json_key(collection)
        return follow_pages(lambda path: self._request('GET', path, allow_reauth=allow_reauth),
                            resource_path(collection), query_string(filters), key, next_link('%s_links' % key))

    def _get(self, collection, ident, ignore_missing=False):
        singular = json_key(collection)[:-1]
        try:
            return (self._request('GET', resource_path(collection, ident)) or {}).get(singular)
        except NeutronHttpError as exc:
            if ignore_missing and exc.http_status == 404:
                return None
            raise

    # The names and keywords below are openstacksdk's network proxy's, which this class replaces.
    def security_groups(self, allow_reauth=True, **filters):
        """allow_reauth=False: see MagnumHttp.json_request."""
        return self._list('security-groups', allow_reauth=allow_reauth, **filters)

    def security_group_rules(self, security_group_id):
        return self._list('security-group-rules', security_group_id=security_group_id)

    def create_security_group_rule(self, **fields):
        """The rule, from openstacksdk-style fields (`ether_type`), as Neutron stored it."""
        body = dict(fields)
        if 'ether_type' in body:
            body['ethertype'] = body.pop('ether_type')
        answer = self._request('POST', resource_path('security-group-rules'), {'security_group_rule': body}) or {}
        return answer.get('security_group_rule')

    def delete_security_group_rule(self, rule_id, ignore_missing=True):
        try:
            self._request('DELETE', resource_path('security-group-rules', rule_id))
        except NeutronHttpError as exc:
            if not (ignore_missing and exc.http_status == 404):
                raise

    def ips(self, **filters):
        return self._list('floatingips', **filters)

    def ports(self, **filters):
        return self._list('ports', **filters)

    def get_port(self, port_id):
        return self._get('ports', port_id)

    def networks(self, **filters):
        return self._list('networks', **filters)

    def quota_details(self, project_id):
        """{resource: {'limit', 'used', 'reserved'}} of the project, by Neutron's singular names (`security_group`)."""
        return (self._request('GET', resource_path('quotas', project_id) + '/details') or {}).get('quota') or {}

    def find_network(self, name_or_id, ignore_missing=True):
        """The network with this ID, else the one with this name (as openstacksdk's find_network)."""
        found = self._get('networks', name_or_id, ignore_missing=True)
        if found is None:
            named = self._list('networks', name=name_or_id)
            if len(named) > 1:
                raise NeutronLookupError('More than one network is named %s.' % name_or_id)
            found = named[0] if named else None
        if found is None and not ignore_missing:
            raise NeutronLookupError('No network found for %s.' % name_or_id)
        return found


class NeutronLookupError(Exception):
    """A name that matches no network, or several."""
