# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a converge run may set a node count that an autoscaler manages.

A cluster autoscaler moves node_count within the node group's min_node_count..max_node_count range. A playbook
that set node_count at creation would drag it back on every run; inside the range the count is the autoscaler's
to keep, and the run reports the drift instead.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.parsing.convert_bool import boolean

AUTOSCALING_LABEL = 'auto_scaling_enabled'

# Decisions
UNCHANGED = 'unchanged'   # the count is what the task asks
RESIZE = 'resize'         # set the task's count
KEEP = 'keep'             # leave the autoscaler's count, report the drift


def autoscaling_enabled(labels):
    """Magnum's auto_scaling_enabled label, read as Magnum's drivers read it (a boolean string)."""
    value = (labels or {}).get(AUTOSCALING_LABEL)
    if value is None:
        return False
    try:
        return boolean(value, strict=False)
    except TypeError:
        return False


def is_managed(labels, max_node_count):
    """Whether an autoscaler owns the count: the label, or a max_node_count bounding a range."""
    return autoscaling_enabled(labels) or max_node_count is not None


def node_count_decision(current, wanted, min_node_count, max_node_count, autoscaling, force=False):
    """UNCHANGED, RESIZE or KEEP for a task's node_count against the current one.

    min/max are the range the autoscaler works in after the run (the task's when it gives them); a count outside
    it is brought to the task's, since the autoscaler would not get it back in by itself.
    """
    if wanted is None or wanted == current:
        return UNCHANGED
    if force or not (autoscaling or max_node_count is not None):
        return RESIZE
    low = min_node_count or 0
    inside = current is not None and current >= low and (max_node_count is None or current <= max_node_count)
    return KEEP if inside else RESIZE


def drift_warning(what, current, wanted, min_node_count, max_node_count, option='force_node_count'):
    bounds = '%s-%s' % (min_node_count or 0, max_node_count if max_node_count is not None else 'unbounded')
    return ('%s has %s nodes where the task asks for %s; autoscaling manages it within %s, so the count is left '
            'as it is (%s: true sets it).' % (what, current, wanted, bounds, option))
