# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a Heat stack's resources with one request, at the catalog's Heat URL."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from urllib.parse import quote

from ansible_collections.coe.magnum.plugins.module_utils.run_cache import cached_fact, remember_fact
from ansible_collections.coe.magnum.plugins.module_utils.errors import http_status_of
from ansible_collections.coe.magnum.plugins.module_utils.openstack import service_endpoint

try:
    from keystoneauth1.exceptions import EndpointNotFound
except ImportError:  # openstacksdk, which the modules need anyway, brings keystoneauth1
    class EndpointNotFound(Exception):
        pass


def stack_path(*segments):
    """A path under /stacks, every segment escaped (a stack name or ID never reaches Heat as another path)."""
    return '/stacks/' + '/'.join(quote(str(segment), safe='') for segment in segments)


class HeatStacks:
    """The few Heat reads the collection makes, without openstacksdk's orchestration proxy: that proxy asks Heat
    for its versions and reads the stack before its resources, four requests more than the one needed here."""

    def __init__(self, connection):
        self._connection = connection
        self._endpoint = None

    def endpoint(self):
        """Heat's catalog URL (found once)."""
        if self._endpoint is None:
            endpoint = service_endpoint(self._connection, 'orchestration')
            if not endpoint:
                raise EndpointNotFound('The cloud has no orchestration (Heat) endpoint in its catalog.')
            self._endpoint = endpoint.rstrip('/')
        return self._endpoint

    def _url(self, path):
        return self.endpoint() + path

    def resources(self, stack_id, allow_reauth=True):
        """The stack's top-level resources as Heat lists them.

        Heat answers a path with the stack ID alone with a redirect to the one with the stack's name, which the
        session follows; the name, which never changes, is kept in the opt-in cache to go straight there.
        """
        name = cached_fact(self._connection, 'stack_names', stack_id)
        if name:
            try:
                return self._get(stack_path(name, stack_id, 'resources'), allow_reauth).json().get('resources') or []
            except Exception as exc:
                if http_status_of(exc) != 404:
                    raise
        response = self._get(stack_path(stack_id, 'resources'), allow_reauth)
        found = re.search(r'/stacks/([^/]+)/%s/resources' % re.escape(stack_id), getattr(response, 'url', '') or '')
        if found:
            remember_fact(self._connection, 'stack_names', stack_id, found.group(1))
        return response.json().get('resources') or []

    def _get(self, path, allow_reauth=True):
        return self._connection.session.get(self._url(path), headers={'Accept': 'application/json'},
                                            allow_reauth=allow_reauth)
