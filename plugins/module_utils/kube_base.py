# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes flavour of the module base: kubernetes.core's connection options and the Kubernetes gateway."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils import kube_client
from ansible_collections.coe.magnum.plugins.module_utils.base import CoeModule


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
