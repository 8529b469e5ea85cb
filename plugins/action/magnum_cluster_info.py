# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module's action: it runs in the task's worker process where that changes nothing (plugin_utils/in_process.py)."""

from __future__ import annotations

from ansible_collections.coe.magnum.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):
    """Found by ansible-core under the module's name."""
