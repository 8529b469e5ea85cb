# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one task's work on a cluster or one of its node groups holds, whichever it changes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.cluster.watch import ClusterWatch


class ClusterTask:
    """The Magnum gateway, the resolver, the error context and the watch with the task's time budget, and what
    the result reports: the actions taken, warnings and an autoscaler's drift.

    cloud_call(action) is the module's context manager that turns client errors into messages naming the action.
    """

    def __init__(self, magnum, resolver, cloud_call, check_mode=False, wait=True, timeout=3600, watch=None):
        self.magnum = magnum
        self.resolver = resolver
        self._calling = cloud_call
        self.check_mode = check_mode
        self.wait = wait
        self.timeout = timeout
        self.watch = watch or ClusterWatch(magnum, timeout)
        self.actions = []
        self.warnings = []
        self.drift = None
