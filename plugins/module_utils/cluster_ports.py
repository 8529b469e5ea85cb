# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Extra ports on a cluster's security groups: the rules of each group brought to the task, rule by rule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.security_group_rules import (
    describe_rule,
    exposure_warnings,
    parse_rules,
    plan_group,
)
from ansible_collections.coe.magnum.plugins.module_utils.security_groups import ROLES, GroupFinder, GroupRules

RULE_FIELDS = ('id', 'direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix',
               'remote_group_id', 'description', 'managed')


class ClusterPorts:
    """One task's work on the security groups of one cluster. run() returns the module result.

    cloud_call(action) is the module's context manager that turns client errors into messages naming the action;
    warn(text) adds a warning to the result.
    """

    def __init__(self, connection, resolver, cloud_call, warn, params, check_mode=False, diff=False):
        self.connection = connection
        self.resolver = resolver
        self.cloud_call = cloud_call
        self._warn = warn
        self.params = params
        self.check_mode = check_mode
        self.diff = diff
        self.rules = GroupRules(connection, cloud_call)

    def run(self):
        # Every rule is checked before the first request, so a typo never leaves a half-applied change.
        rules = parse_rules(self.params['rules'])
        roles = ROLES if self.params['role'] == 'all' else (self.params['role'],)
        state, exclusive = self.params['state'], self.params['exclusive']

        finder = GroupFinder(self.connection)
        # Only reads of what an earlier run found for this very name go ahead: an odd name finds nothing.
        finder.read_ahead(self.params['cluster'])
        cluster = self.resolver.magnum_require('cluster', self.params['cluster'], 'cluster')
        for rule in rules:
            if rule['remote_group']:
                where = 'rules[%d].remote_group' % rule['index']
                with self.cloud_call('look up security group %r (parameter `%s`)' % (rule['remote_group'], where)):
                    rule['remote_group_id'] = self.resolver.find('security_group', rule['remote_group'], where)['id']
        with self.cloud_call('find the security groups of cluster %r' % cluster.get('name')):
            lookup = finder.find(cluster, roles)

        if state == 'present':
            for warning in exposure_warnings(rules):
                self._warn(warning)
        for note in lookup.notes:
            self._warn(note)

        groups = self._groups_by_id(lookup.groups)
        results, before, after, changed = [], {}, {}, False
        for group, role in groups:
            existing = self.rules.of(group)
            plan = plan_group(rules, existing, state, exclusive)
            for wanted, found in plan['unmanaged']:
                self._warn('rules[%d] (%s) exists on security group %s but was not added by coe.magnum: left in '
                           'place.' % (wanted['index'], describe_rule(found), group.get('name') or group['id']))
            added, removed = self._apply(group, plan)
            changed = changed or bool(added or removed)
            removed_ids = set(rule['id'] for rule in removed)
            final = [rule for rule in existing if rule['id'] not in removed_ids] + added
            label = '%s: %s (%s)' % (role, group.get('name'), group['id'])
            before[label] = sorted(describe_rule(rule) for rule in existing)
            after[label] = sorted(describe_rule(rule) for rule in final)
            results.append({
                'role': role,
                'id': group['id'],
                'name': group.get('name'),
                'rules': [self._public(rule) for rule in final],
                'added': [self._public(rule) for rule in added],
                'removed': [self._public(rule) for rule in removed],
            })

        result = {
            'changed': changed,
            'cluster': {'name': cluster.get('name'), 'uuid': cluster.get('uuid')},
            'lookup': lookup.way,
            'lookup_tried': lookup.tried,
            'lookup_evidence': lookup.evidence,
            'groups': results,
        }
        if self.diff:
            result['diff'] = {'before': before, 'after': after}
        return result

    @staticmethod
    def _groups_by_id(groups_per_role):
        """[(group, role)] with a group both roles carry listed once, as role `all`."""
        ordered, roles_of = [], {}
        for role in ROLES:
            for group in groups_per_role.get(role, []):
                if group['id'] not in roles_of:
                    ordered.append(group)
                roles_of.setdefault(group['id'], []).append(role)
        return [(group, roles_of[group['id']][0] if len(roles_of[group['id']]) == 1 else 'all')
                for group in ordered]

    def _apply(self, group, plan):
        """Add then remove (a replaced rule is never missing in between); in check mode, only predict."""
        added, removed = [], []
        for rule in plan['add']:
            added.append(self.rules.predicted(group, rule) if self.check_mode else self.rules.add(group, rule))
        for rule in plan['remove']:
            if not self.check_mode:
                self.rules.remove(group, rule)
            removed.append(rule)
        return added, removed

    @staticmethod
    def _public(rule):
        return dict((field, rule.get(field)) for field in RULE_FIELDS)
