# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of option values that need no request, shared by the modules; each failure names its option.

The bounds are Magnum's own (magnum/api/controllers/v1/cluster.py and cluster_template.py): a value Magnum would
refuse is refused before the first request, and a name that would change the meaning of a URL it is put into
never reaches one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError

# Magnum's pattern and length for cluster names; an existing cluster may also be named by its UUID.
CLUSTER_NAME = re.compile(r'^[a-zA-Z][a-zA-Z0-9_.-]*$')
CLUSTER_NAME_MAX = 242
TEMPLATE_NAME_MAX = 255
UUID = re.compile(r'^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$')
# Characters that end or re-route a URL path segment, or that a server decodes before matching.
URL_SIGNIFICANT = re.compile(r'[/?#%\\\x00-\x1f\x7f]')
# Magnum's bounds for template and cluster numbers.
APISERVER_PORT = (1024, 65535)


def is_cluster_ident(value):
    """Whether Magnum can have a cluster with this name or ID: it makes no cluster by any other name."""
    return bool(value) and (bool(UUID.match(value)) or (len(value) <= CLUSTER_NAME_MAX
                                                        and bool(CLUSTER_NAME.match(value))))


def check_cluster_name(value, option):
    """A cluster name Magnum accepts, or the UUID of an existing cluster."""
    if value is None or is_cluster_ident(value):
        return
    raise CoeError('`%s` %r is not a Magnum cluster name: it must match %s (start with a letter, then only letters, '
                   'digits, "_", "." and "-") and be at most %d characters long, or be a cluster UUID.'
                   % (option, value, CLUSTER_NAME.pattern, CLUSTER_NAME_MAX), parameter=option)


def check_resource_name(value, option):
    """A template (or other resource) name that can be put into a URL path as it is."""
    if value is None:
        return
    if not value.strip() or value in ('.', '..') or URL_SIGNIFICANT.search(value):
        raise CoeError('`%s` %r cannot be used as a name: it must not be empty, "." or "..", nor hold "/", "?", "#", '
                       '"%%", "\\" or control characters.' % (option, value), parameter=option)
    if len(value) > TEMPLATE_NAME_MAX:
        raise CoeError('`%s` is %d characters long; Magnum takes at most %d.' % (option, len(value), TEMPLATE_NAME_MAX),
                       parameter=option)


def check_minimum(params, option, minimum):
    value = params.get(option)
    if value is not None and value < minimum:
        raise CoeError('`%s` must be at least %d, not %d.' % (option, minimum, value), parameter=option)


def check_range(params, option, bounds):
    value = params.get(option)
    if value is not None and not bounds[0] <= value <= bounds[1]:
        raise CoeError('`%s` must be between %d and %d, not %d.' % (option, bounds[0], bounds[1], value),
                       parameter=option)


def check_labels(labels, option='labels'):
    """Magnum labels are strings: numbers and booleans are sent as their text, anything nested is refused (it would
    reach Magnum as the Python text of a dict or list)."""
    for key, value in (labels or {}).items():
        if not str(key).strip():
            raise CoeError('`%s` has an empty key.' % option, parameter=option)
        if value is None or isinstance(value, (dict, list, tuple, set)):
            raise CoeError('Label %r must be a string, number or boolean (parameter `%s`), not %s.'
                           % (key, option, 'null' if value is None else type(value).__name__), parameter=option)
