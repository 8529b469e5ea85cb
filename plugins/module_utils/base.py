# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of every OpenStack module of the collection: options, connection, Magnum client, errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, translate
from ansible_collections.coe.magnum.plugins.module_utils.magnum_api import MagnumApi, StaleVersionRange
from ansible_collections.coe.magnum.plugins.module_utils.openstack import connect, openstack_argument_spec
from ansible_collections.coe.magnum.plugins.module_utils.redaction import CoeAnsibleModule
from ansible_collections.coe.magnum.plugins.module_utils.resolve import Resolver
from ansible_collections.coe.magnum.plugins.module_utils.validation import check_cluster_name, check_resource_name


class MagnumModule:
    """Subclasses set `argument_spec` (and optionally `module_kwargs`) and implement run().

    `cluster_name_options` and `resource_name_options` name the options that hold a cluster's or another
    resource's name; validate() checks them, and whatever a subclass adds, before run() sends any request.
    """

    argument_spec = {}
    module_kwargs = {}
    cluster_name_options = ()
    resource_name_options = ()

    def __init__(self, module=None):
        self.module = module or CoeAnsibleModule(
            argument_spec=openstack_argument_spec(**self.argument_spec),
            supports_check_mode=True,
            **self.module_kwargs
        )
        self.params = self.module.params
        self.check_mode = self.module.check_mode
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

    def run(self):
        raise NotImplementedError

    def execute(self):
        try:
            self.validate()
            try:
                result = self.run()
            except StaleVersionRange:
                # Nothing was done by the refused request, and run() converges from what it reads: deciding
                # again with the server's own version range is safe.
                self._magnum = self._resolver = None
                result = self.run()
        except CoeError as exc:
            self.fail(exc.msg, **exc.details)
        except Exception as exc:
            error = translate(exc, 'complete the request')
            self.fail(error.msg, **error.details)
        self.module.exit_json(**result)

    def fail(self, msg, **details):
        # CoeAnsibleModule scrubs the secret parts of the parameters from the message, details and traceback.
        self.module.fail_json(msg=msg, **details)

    def warn(self, message):
        self.module.warn(message)
