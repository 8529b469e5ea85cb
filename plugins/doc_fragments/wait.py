# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Its argument spec is WAIT_ARGSPEC in plugins/module_utils/openstack_base.py.

    DOCUMENTATION = r'''
options:
  wait:
    description:
      - Whether to wait for the operation to finish.
      - The wait ends when Magnum reports a C(*_COMPLETE) status and fails at once on a C(*_FAILED) status,
        with Magnum's reason.
    type: bool
    default: true
  timeout:
    description:
      - How long to wait, in seconds.
    type: int
    default: 3600
'''
