# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the cloud.
    support: full
  diff_mode:
    description: Returns details on what has changed (or would change in check mode) in C(diff).
    support: full
'''

    INFO_MODULE = r'''
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Read-only; there is nothing to show.
    support: none
'''

    ACTION_GROUP = r'''
attributes:
  action_group:
    description: Use C(group/coe.magnum.magnum) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - coe.magnum.magnum
'''

    KUBERNETES_ACTION_GROUP = r'''
attributes:
  action_group:
    description:
      - Use C(group/coe.magnum.kubernetes) in C(module_defaults) to set the Kubernetes connection options once;
        the group extends C(group/kubernetes.core.k8s), so the same block reaches kubernetes.core's modules.
    support: full
    membership:
      - coe.magnum.kubernetes
'''
