# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a Heat stack's resources with one request, at the catalog's Heat URL."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.openstack import service_endpoint

try:
    from keystoneauth1.exceptions import EndpointNotFound
except ImportError:  # openstacksdk, which the modules need anyway, brings keystoneauth1
    class EndpointNotFound(Exception):
        pass


class HeatStacks:
    """The few Heat reads the collection makes, without openstacksdk's orchestration proxy: that proxy asks Heat
    for its versions and reads the stack before its resources, four requests more than the one needed here."""

    def __init__(self, connection):
        self._connection = connection
        self._endpoint = None

    def _url(self, path):
        if self._endpoint is None:
            endpoint = service_endpoint(self._connection, 'orchestration')
            if not endpoint:
                raise EndpointNotFound('The cloud has no orchestration (Heat) endpoint in its catalog.')
            self._endpoint = endpoint.rstrip('/')
        return self._endpoint + path

    def resources(self, stack_id):
        """The stack's top-level resources as Heat lists them; Heat answers a stack ID with a redirect to the
        stack's full name, which the session follows."""
        response = self._connection.session.get(self._url('/stacks/%s/resources' % stack_id),
                                                headers={'Accept': 'application/json'})
        return response.json().get('resources') or []
