# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Magnum's REST API over the connection's keystoneauth session: JSON both ways and the microversion header."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

# Magnum reads the service name of the header in either spelling; this one every release knows.
VERSION_HEADER = 'OpenStack-API-Version'
SERVICE_NAME = 'container-infra'


class MagnumHttpError(Exception):
    """An error answer of Magnum: its status, request ID and body (where Magnum puts its reason)."""

    def __init__(self, method, url, response):
        self.http_status = response.status_code
        self.request_id = response.headers.get('x-openstack-request-id') or response.headers.get('X-Request-Id')
        self.details = response.text or ''
        super(MagnumHttpError, self).__init__('%s %s: HTTP %s' % (method, url, self.http_status))


class MagnumHttp:
    """json_request(method, url, body) -> (response, decoded body) at the endpoint, at `api_version`."""

    def __init__(self, session, endpoint, api_version):
        self._session = session
        self._endpoint = endpoint.rstrip('/')
        self.api_version = api_version

    def json_request(self, method, url, body=None, allow_reauth=True):
        """allow_reauth=False: a 401 is answered as it is, without the session renewing its token (a read sent
        ahead leaves that to the module's own request, which keystoneauth retries once with a new token)."""
        headers = {'Accept': 'application/json', VERSION_HEADER: '%s %s' % (SERVICE_NAME, self.api_version)}
        kwargs = {}
        if body is not None:
            headers['Content-Type'] = 'application/json'
            kwargs['data'] = json.dumps(body)
        full_url = self._endpoint + '/' + url.lstrip('/')
        # Connection failures come from keystoneauth as they are; HTTP errors carry Magnum's body.
        response = self._session.request(full_url, method, headers=headers, raise_exc=False,
                                         allow_reauth=allow_reauth, **kwargs)
        if response.status_code >= 400:
            raise MagnumHttpError(method, url, response)
        return response, decode(response)


def decode(response):
    text = response.text if response.content else ''
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
