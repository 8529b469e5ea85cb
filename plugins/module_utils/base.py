# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of every module of the collection: options, check mode, and errors turned into fail_json in one place.

Its flavours add their connection options and gateway: openstack_base (MagnumModule) and kube_base
(KubernetesModule). They live in files of their own so that a module loads only its own flavour's libraries.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, translate
from ansible_collections.coe.magnum.plugins.module_utils.redaction import CoeAnsibleModule


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
