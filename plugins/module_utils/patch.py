# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Comparing what exists with what is wanted, and the JSON patch Magnum accepts for the difference."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def label_value(value):
    """A label value as Magnum stores it: always a string, booleans lower-case as Kubernetes reads them."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if value is None:
        return ''
    return str(value)


def normalise_labels(labels):
    if labels is None:
        return None
    return dict((str(key), label_value(value)) for key, value in labels.items())


def labels_match(stored, wanted, merge_labels):
    """Whether stored labels are what the task wants: the labels given, or exactly them without merge_labels."""
    stored = normalise_labels(stored or {})
    if merge_labels:
        return all(stored.get(key) == value for key, value in wanted.items())
    return stored == wanted


def differences(current, wanted, equal=None):
    """[{field, current, wanted}] for each wanted field (not None) whose value differs from the current one.

    equal(field, current_value, wanted_value) may override the comparison (e.g. names versus IDs).
    """
    found = []
    for field in sorted(wanted):
        value = wanted[field]
        if value is None:
            continue
        existing = current.get(field)
        same = equal(field, existing, value) if equal else None
        if same is None:
            same = existing == value
        if not same:
            found.append({'field': field, 'current': existing, 'wanted': value})
    return found


def json_patch(changes, current):
    """RFC 6902 operations for the changed fields: Magnum refuses a whole-dict `labels`, so labels go one by one."""
    operations = []
    for change in changes:
        field, value = change['field'], change['wanted']
        if field == 'labels':
            existing = current.get('labels') or {}
            for key in sorted(set(existing) - set(value)):
                operations.append({'op': 'remove', 'path': '/labels/%s' % _escape(key)})
            for key in sorted(value):
                if existing.get(key) != value[key]:
                    operations.append({'op': 'add', 'path': '/labels/%s' % _escape(key), 'value': value[key]})
        elif value is None or value == []:
            operations.append({'op': 'remove', 'path': '/%s' % field})
        else:
            operations.append({'op': 'replace', 'path': '/%s' % field, 'value': value})
    return operations


def _escape(key):
    return key.replace('~', '~0').replace('/', '~1')
