# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Magnum's REST API over the connection's keystoneauth session: JSON both ways and the microversion header."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.json_http import HttpAnswerError, send_json

# Magnum reads the service name of the header in either spelling; this one every release knows.
VERSION_HEADER = 'OpenStack-API-Version'
SERVICE_NAME = 'container-infra'


class MagnumHttpError(HttpAnswerError):
    """An error answer of Magnum: its status, request ID and body (where Magnum puts its reason)."""


class MagnumHttp:
    """json_request(method, url, body) -> (response, decoded body) at the endpoint, at `api_version`."""

    def __init__(self, session, endpoint, api_version):
        self._session = session
        self._endpoint = endpoint.rstrip('/')
        self.api_version = api_version

    def json_request(self, method, url, body=None, allow_reauth=True):
        """allow_reauth: see json_http.send_json."""
        return send_json(self._session, method, self._endpoint + '/' + url.lstrip('/'), url, body,
                         headers={VERSION_HEADER: '%s %s' % (SERVICE_NAME, self.api_version)},
                         allow_reauth=allow_reauth, error=MagnumHttpError)
