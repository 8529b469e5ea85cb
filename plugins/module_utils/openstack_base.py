# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OpenStack flavour of the module base: the openstack.cloud-compatible options, the connection, Magnum's
gateway and the resolver of names."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib

from ansible_collections.coe.magnum.plugins.module_utils.base import CoeModule
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, translate
from ansible_collections.coe.magnum.plugins.module_utils.magnum_api import MagnumApi, StaleVersionRange
from ansible_collections.coe.magnum.plugins.module_utils.openstack import connect, openstack_argument_spec
from ansible_collections.coe.magnum.plugins.module_utils.resolve import Resolver
from ansible_collections.coe.magnum.plugins.module_utils.validation import check_cluster_name, check_resource_name

# The options of the doc fragment coe.magnum.wait (plugins/doc_fragments/wait.py), for the modules that wait on
# Magnum: spread into their argument_spec with the fragment in their documentation.
WAIT_ARGSPEC = dict(
    wait=dict(type='bool', default=True),
    timeout=dict(type='int', default=3600),
)


class MagnumModule(CoeModule):
    """The OpenStack flavour: the openstack.cloud-compatible options, the connection, Magnum's gateway.

    `cluster_name_options` and `resource_name_options` name the options that hold a cluster's or another
    resource's name; validate() checks them, and whatever a subclass adds, before run() sends any request.
    """

    cluster_name_options = ()
    resource_name_options = ()
    connection_argument_spec = staticmethod(openstack_argument_spec)

    def __init__(self, module=None):
        super(MagnumModule, self).__init__(module)
        self._connection = None
        self._magnum = None
        self._resolver = None

    @property
    def connection(self):
        if self._connection is None:
            self._connection = connect(self.params)
        return self._connection

    @property
    def magnum(self):
        if self._magnum is None:
            self._magnum = MagnumApi(self.connection)
        return self._magnum

    @property
    def resolver(self):
        if self._resolver is None:
            self._resolver = Resolver(self.connection, self.magnum)
        return self._resolver

    @contextlib.contextmanager
    def cloud_call(self, action):
        """Turn any client error inside into a CoeError whose message starts with `action`."""
        try:
            yield
        except CoeError:
            raise
        except Exception as exc:
            raise translate(exc, action) from exc

    def validate(self):
        """Refuse option values that need no request to be found wrong; subclasses extend it."""
        for option in self.cluster_name_options:
            check_cluster_name(self.params.get(option), option)
        for option in self.resource_name_options:
            check_resource_name(self.params.get(option), option)

    def decide(self):
        try:
            return self.run()
        except StaleVersionRange:
            # Nothing was done by the refused request, and run() converges from what it reads: deciding
            # again with the server's own version range is safe.
            self._magnum = self._resolver = None
            return self.run()
