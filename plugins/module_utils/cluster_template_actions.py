# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bringing a cluster template to the wanted state: create, update in place or delete, confirmed after a lost
answer."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.cluster_template import (
    CHANGEABLE_WHEN_REFERENCED,
    COLLECTION,
    compare,
    diff_view,
    public_record,
    referencing_clusters,
    refuse_referenced_update,
    validate_references,
    wanted_fields,
)
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, http_status_of, translate
from ansible_collections.coe.magnum.plugins.module_utils.patch import json_patch
from ansible_collections.coe.magnum.plugins.module_utils.retry import create_once, send_confirmed


class ClusterTemplateActions:
    """One task's work on one cluster template. run() returns the module result.

    cloud_call(action) is the module's context manager that turns client errors into messages naming the action.
    """

    def __init__(self, magnum, resolver, cloud_call, params, check_mode=False):
        self.magnum = magnum
        self.resolver = resolver
        self.cloud_call = cloud_call
        self.params = params
        self.check_mode = check_mode

    def run(self):
        name = self.params['name']
        with self.cloud_call('look up cluster template %r' % name):
            current = self.resolver.magnum_get('cluster_template', name, 'name')
        if self.params['state'] == 'absent':
            return self.ensure_absent(current)
        return self.ensure_present(current)

    def ensure_absent(self, current):
        if current is None:
            return dict(changed=False, changes=[], diff=dict(before={}, after={}))
        result = dict(changed=True, id=current['uuid'], changes=[], diff=dict(before=public_record(current), after={}))
        if not self.check_mode:
            with self.cloud_call('delete cluster template %r' % current.get('name')):
                try:
                    send_confirmed(lambda: self.magnum.delete(COLLECTION, current['uuid']),
                                   lambda: True if self._lookup(current['uuid']) is None else None)
                except Exception as exc:
                    # Deleted by someone else between the lookup and the delete: what the task wanted.
                    if http_status_of(exc) != 404:
                        raise
                    result['already_deleted'] = True
        return result

    def ensure_present(self, current):
        wanted = wanted_fields(self.params)
        if current is None:
            return self.create(wanted)
        # The lookup key may be an ID: the name only changes when the user gave a different name.
        if current.get('uuid') == self.params['name']:
            wanted.pop('name', None)
        with self.cloud_call('compare cluster template %r' % current.get('name')):
            changes = compare(self.resolver, current, wanted)
        result = dict(changed=bool(changes), id=current['uuid'], changes=changes)
        if not changes:
            result.update(cluster_template=public_record(current),
                          diff=dict(before=diff_view(current, wanted), after=diff_view(current, wanted)))
            return result
        fixed_changes = [c for c in changes if c['field'] not in CHANGEABLE_WHEN_REFERENCED]
        if fixed_changes:
            with self.cloud_call('list the clusters of cluster template %r' % current.get('name')):
                clusters = referencing_clusters(self.magnum, current)
            if clusters:
                refuse_referenced_update(current, changes, clusters)
            with self.cloud_call('check the new values of cluster template %r' % current.get('name')):
                validate_references(self.resolver, dict((c['field'], c['wanted']) for c in fixed_changes))
        after = dict(current, **dict((c['field'], c['wanted']) for c in changes))
        if not self.check_mode:
            try:
                after = send_confirmed(
                    lambda: self.magnum.patch(COLLECTION, current['uuid'], json_patch(changes, current)),
                    lambda: self._applied(current['uuid'], wanted))
            except Exception as exc:
                raise self._referenced_error(exc, current, 'update', changes) from exc
        result.update(cluster_template=public_record(after),
                      diff=dict(before=diff_view(current, wanted), after=diff_view(after, wanted)))
        return result

    def create(self, wanted):
        for option in ('coe', 'image'):
            if not self.params.get(option):
                raise self._missing(option)
        with self.cloud_call('check the options of cluster template %r' % wanted['name']):
            validate_references(self.resolver, wanted)
        record = dict(wanted)
        if not self.check_mode:
            with self.cloud_call('create cluster template %r' % wanted['name']):
                record, _found = create_once(
                    lambda: self.magnum.create(COLLECTION, wanted),
                    lambda: self.resolver.magnum_get('cluster_template', wanted['name'], 'name'),
                    settle_seconds=5.0)
        return dict(changed=True, id=record.get('uuid'), cluster_template=public_record(record),
                    changes=[dict(field=field, current=None, wanted=value) for field, value in sorted(wanted.items())],
                    diff=dict(before={}, after=diff_view(record, wanted)))

    def _lookup(self, ident):
        return self.resolver.magnum_get('cluster_template', ident, 'name')

    def _applied(self, ident, wanted):
        """The template when it already has every wanted value (a change whose answer was lost), else None."""
        found = self._lookup(ident)
        return found if found is not None and not compare(self.resolver, found, wanted) else None

    def _missing(self, option):
        return CoeError('Cluster template %r does not exist and `%s` is required to create it.'
                        % (self.params['name'], option), parameter=option)

    def _referenced_error(self, exc, current, verb, changes=None):
        """Magnum's refusal, with the differing fields when clusters this user cannot see use the template."""
        error = translate(exc, '%s cluster template %r' % (verb, current.get('name')))
        if 'referenced' in (error.reason or '') and changes:
            refuse_referenced_update(current, changes, [])
        return error
