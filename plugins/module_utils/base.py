# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of every module of the collection, in an OpenStack and a Kubernetes flavour: options, connection,
the gateway, and errors turned into fail_json in one place."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib

from ansible_collections.coe.magnum.plugins.module_utils import kube_client
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, translate
from ansible_collections.coe.magnum.plugins.module_utils.magnum_api import MagnumApi, StaleVersionRange
from ansible_collections.coe.magnum.plugins.module_utils.openstack import connect, openstack_argument_spec
from ansible_collections.coe.magnum.plugins.module_utils.redaction import CoeAnsibleModule
from ansible_collections.coe.magnum.plugins.module_utils.resolve import Resolver
from ansible_collections.coe.magnum.plugins.module_utils.validation import check_cluster_name, check_resource_name


class CoeModule:
    """Subclasses set `argument_spec` (and optionally `module_kwargs`) and implement run(), which returns the
    result or raises CoeError; validate() refuses what needs no request to be found wrong, before run().

    A flavour adds its connection options (`connection_argument_spec`) and its gateway.
    """

    argument_spec = {}
    module_kwargs = {}
    # What a failure names as the work that an unexpected error interrupted.
    action = 'complete the request'

    def __init__(self, module=None):
        self.module = module or CoeAnsibleModule(
            argument_spec=self.connection_argument_spec(**self.argument_spec),
            supports_check_mode=True,
            **self.module_kwargs
        )
        self.params = self.module.params
        self.check_mode = self.module.check_mode

    @staticmethod
    def connection_argument_spec(**extra):
        return dict(extra)

    def validate(self):
        """Refuse option values that need no request to be found wrong; subclasses extend it."""

    def run(self):
        raise NotImplementedError

    def decide(self):
        """run(), as often as a flavour's gateway may ask."""
        return self.run()

    def execute(self):
        try:
            self.validate()
            result = self.decide()
        except CoeError as exc:
            self.fail(exc.msg, **exc.details)
        except Exception as exc:
            error = translate(exc, self.action)
            self.fail(error.msg, **error.details)
        self.module.exit_json(**result)

    def fail(self, msg, **details):
        # CoeAnsibleModule scrubs the secret parts of the parameters from the message, details and traceback.
        self.module.fail_json(msg=msg, **details)

    def warn(self, message):
        self.module.warn(message)


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


class KubernetesModule(CoeModule):
    """The Kubernetes flavour: kubernetes.core's connection options (doc fragment coe.magnum.kube_connection)
    and the Kubernetes gateway, connected at the first request. A `diff` in run()'s result is shown only in diff
    mode."""

    connection_argument_spec = staticmethod(kube_client.kube_connection_argument_spec)

    def __init__(self, module=None):
        super(KubernetesModule, self).__init__(module)
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = kube_client.connect(self.params)
        return self._client

    def decide(self):
        result = self.run()
        diff = result.pop('diff', None)
        if diff is not None and self.module._diff:
            result['diff'] = diff
        return result
