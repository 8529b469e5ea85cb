# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The result of a task that changes a Magnum resource and waits for it, in one shape for every such module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def action_result(changed, actions, history, key, record, diff, ident=None, drift=None, warnings=None):
    """`key` names the record in the result (cluster, nodegroup); diff is (before, after) as the user sees them."""
    before, after = diff
    result = dict(changed=changed, actions=list(actions), status_history=history,
                  diff=dict(before=before, after=after))
    result[key] = record
    ident = ident or (record or {}).get('uuid')
    if ident:
        result['id'] = ident
    if drift:
        result['drift'] = drift
    if warnings:
        result['warnings'] = list(warnings)
    return result
