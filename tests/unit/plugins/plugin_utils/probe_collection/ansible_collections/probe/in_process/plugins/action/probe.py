# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe module's action: coe.magnum's, so that a test can run one module both ways and compare."""

from __future__ import annotations

from ansible_collections.coe.magnum.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):
    """Found by ansible-core under the module's name."""
