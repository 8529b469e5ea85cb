# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bring a cluster's StorageClass and PersistentVolumeClaims to the wanted state.

Everything is read and checked first; every refusal is reported before the first change is made.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError
from ansible_collections.coe.magnum.plugins.module_utils.kube_client import KubeError, api_path, kube_path
from ansible_collections.coe.magnum.plugins.module_utils.kube_discovery import (
    CINDER_CSI,
    CINDER_IN_TREE,
    IN_TREE_CINDER_REMOVED,
    choose_provisioner,
    discover,
)
from ansible_collections.coe.magnum.plugins.module_utils.storage import claim_manifest, class_manifest
from ansible_collections.coe.magnum.plugins.module_utils.waiter import Waiter, WaitTimeout

_DNS_SUBDOMAIN = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z')
_DNS_LABEL = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z')


def validate(params):
    """Every problem of the options that needs no request, each naming its option."""
    problems = []
    spec = params.get('storage_class')
    if spec is not None:
        name = spec.get('name') or ''
        if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
            problems.append('storage_class.name %r is not a valid Kubernetes name (lower case letters, digits, '
                            '"-" and ".")' % name)
        for key, value in (spec.get('parameters') or {}).items():
            if not str(key).strip():
                problems.append('storage_class.parameters has an empty key')
            elif value is None or isinstance(value, (dict, list, tuple, set)):
                problems.append('storage_class.parameters.%s must be a string, number or boolean, not %s (a '
                                'StorageClass parameter is a string)' % (key, 'null' if value is None
                                                                         else type(value).__name__))
        if spec.get('existing_default') and not spec.get('default'):
            problems.append('storage_class.existing_default=%s tells what to do with another default class when '
                            'this class is to be the default; it needs storage_class.default=true'
                            % spec['existing_default'])
    seen = set()
    for index, claim in enumerate(params.get('claims') or []):
        where = 'claims[%d]' % index
        name = claim.get('name') or ''
        if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
            problems.append('%s.name %r is not a valid Kubernetes name' % (where, name))
        namespace = claim.get('namespace') or ''
        if len(namespace) > 63 or not _DNS_LABEL.match(namespace):
            problems.append('%s.namespace %r is not a valid namespace name' % (where, namespace))
        class_name = claim.get('storage_class')
        if class_name is not None and (len(class_name) > 253 or not _DNS_SUBDOMAIN.match(class_name)):
            problems.append('%s.storage_class %r is not a valid StorageClass name' % (where, class_name))
        if (namespace, name) in seen:
            problems.append('%s: claim %s/%s is listed twice' % (where, namespace, name))
        seen.add((namespace, name))
        if params.get('state') == 'present':
            if not claim.get('size'):
                problems.append('%s.size is required with state=present' % where)
            else:
                try:
                    if claim_manifest.parse_quantity(claim['size']) <= 0:
                        problems.append('%s.size must be larger than zero' % where)
                except ValueError as exc:
                    problems.append('%s.size: %s' % (where, exc))
            if not claim.get('access_modes'):
                problems.append('%s.access_modes must name at least one access mode' % where)
    if params.get('timeout') is not None and params['timeout'] <= 0:
        problems.append('timeout must be a positive number of seconds, not %s' % params['timeout'])
    return problems


class StorageReconciler:

    def __init__(self, client, params, check_mode=False, warn=None, sleep=None, clock=None):
        self.client = client
        self.params = params
        self.check_mode = check_mode
        self.warn = warn or (lambda message: None)
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self.spec = params.get('storage_class')
        self.changed = False
        self.actions = []
        self.already_deleted = []
        self.notes = []
        self.before = {}
        self.after = {}
        self.facts = None
        self.provisioner = None
        self._classes = {}
        self._managed_class = None
        self._claim_results = []

    # -- paths -------------------------------------------------------------------------------------------------
    @property
    def classes_path(self):
        return api_path(self.facts.storage_api_version, 'storageclasses')

    def class_path(self, name):
        return api_path(self.facts.storage_api_version, 'storageclasses', name)

    @staticmethod
    def claims_path(namespace):
        return kube_path('/api/v1/namespaces', namespace, 'persistentvolumeclaims')

    def claim_path(self, claim):
        return kube_path(self.claims_path(claim['namespace']), claim['name'])

    # -- helpers -----------------------------------------------------------------------------------------------
    def _delete(self, path):
        """DELETE; False when the server answers 404 (deleted by someone else since the read: as wanted)."""
        try:
            self.client.delete(path)
        except KubeError as exc:
            if exc.status != 404:
                raise
            return False
        return True

    def _record(self, key, before, after, action=None):
        self.before[key] = before
        self.after[key] = after
        if action:
            self.changed = True
            self.actions.append(action)

    def class_object(self, name):
        """The StorageClass called name as it is (or will be, for the managed one); None when there is none."""
        if self._managed_class is not None and self._managed_class['metadata']['name'] == name:
            return self._managed_class
        if not self.facts.storage_api_version:
            return None
        if name not in self._classes:
            self._classes[name] = self.client.find(self.class_path(name))
        return self._classes[name]

    def _claim_class_name(self, claim):
        if claim.get('storage_class'):
            return claim['storage_class']
        if self._managed_class is not None:
            return self._managed_class['metadata']['name']
        return self.spec['name'] if self.spec else None

    # -- entry point ---------------------------------------------------------------------------------------------
    def run(self):
        """The module result; the options must have passed validate()."""
        self.facts = discover(self.client)
        if self.params['state'] == 'present':
            self._present()
        else:
            self._absent()
        result = dict(
            changed=self.changed,
            actions=self.actions,
            notes=self.notes,
            cluster=self.facts.as_dict(),
            provisioner=self.provisioner,
            storage_class=class_manifest.view(self._managed_class),
            claims=[claim_manifest.view(obj) for obj in self._claim_results],
            diff=dict(before=self.before, after=self.after),
        )
        if self.already_deleted:
            # Read before the delete, gone when it came (404): nothing left to do, and nothing this task changed.
            result['already_deleted'] = self.already_deleted
        return result

    # -- state=present -------------------------------------------------------------------------------------------
    def _present(self):
        class_plan = self._plan_class() if self.spec else None
        claim_plans = self._plan_claims()
        if class_plan:
            self._apply_class(class_plan)
        self._claim_results = self._apply_claims(claim_plans)
        if self.params['wait'] and not self.check_mode:
            self._claim_results = self._wait_for_claims(claim_plans, self._claim_results)

    def _choose_provisioner(self, existing):
        requested = self.spec['provisioner']
        current = (existing or {}).get('provisioner')
        # auto keeps a class whose Cinder provisioner works on this cluster, so that installing the CSI driver
        # later does not force a replacement of a working class.
        if requested == 'auto' and current == CINDER_CSI and self.facts.cinder_csi_driver:
            return current, []
        if requested == 'auto' and current == CINDER_IN_TREE and (
                not self.facts.at_least(IN_TREE_CINDER_REMOVED) or self.facts.cinder_csi_driver):
            return current, []
        return choose_provisioner(requested, self.facts)

    def _plan_class(self):
        spec = self.spec
        try:
            self.facts.require_storage_api()
        except CoeError as exc:
            raise CoeError('Cluster %s: %s' % (self.client.label, exc.msg)) from None
        problems = class_manifest.unsupported_options(spec, self.facts)
        if problems:
            raise CoeError('Cluster %s: %s' % (self.client.label, '; '.join(problems)))
        existing = self.client.find(self.class_path(spec['name']))
        other_defaults = self._other_defaults(spec) if spec['default'] else []
        if spec['default'] and spec.get('existing_default') == 'adopt':
            # A default class of this name made by the cluster's own chart is adopted as it is, not rewritten.
            named = [existing] if existing is not None and class_manifest.is_default(existing, self.facts) else []
            if named + other_defaults:
                return self._adopt(named + other_defaults)
        if other_defaults and spec.get('existing_default') == 'keep':
            spec = self.spec = dict(spec, default=False)
            self.notes.append('StorageClass %s stays the default class (storage_class.existing_default=keep); '
                              'StorageClass %s is not made the default'
                              % (', '.join(other['metadata']['name'] for other in other_defaults), spec['name']))
            other_defaults = []
        try:
            self.provisioner, warnings = self._choose_provisioner(existing)
        except CoeError as exc:
            raise CoeError('Cluster %s: %s' % (self.client.label, exc.msg)) from None
        for warning in warnings:
            self.warn(warning)
        plan = {'existing': existing, 'others': []}
        if existing is None:
            plan['action'] = 'create'
            plan['desired'] = class_manifest.build(spec, self.provisioner, self.facts)
        else:
            plan['desired'] = class_manifest.build(spec, self.provisioner, self.facts,
                                                   keep_metadata=existing.get('metadata'))
            fixed = class_manifest.immutable_differences(existing, plan['desired'])
            if fixed and not spec['replace']:
                raise CoeError(
                    'StorageClass %s on %s: %s cannot change on an existing StorageClass (%s). Set '
                    'storage_class.replace=true to delete and recreate the class; claims and volumes made from it '
                    'are kept.' % (spec['name'], self.client.label, ', '.join(option for option, _c, _w in fixed),
                                   '; '.join('%s: %s -> %s' % item for item in fixed)))
            if fixed:
                plan['action'] = 'replace'
            else:
                plan['patch'] = class_manifest.mutable_patch(
                    existing, plan['desired'], class_manifest.default_changes(existing, spec['default'], self.facts))
                plan['action'] = 'patch' if plan['patch'] else None
        # Claims are planned against the class as this task leaves it (a class made expandable here lets them grow).
        if plan['action'] in ('create', 'replace'):
            self._managed_class = plan['desired']
        elif plan['action'] == 'patch':
            self._managed_class = class_manifest.apply_patch(existing, plan['patch'])
        else:
            self._managed_class = existing
        for other in other_defaults:
            changes = class_manifest.default_changes(other, False, self.facts)
            plan['others'].append((other, {'metadata': {'annotations': changes}}))
        return plan

    def _other_defaults(self, spec):
        """The classes other than ours marked as default; a conflict with no existing_default fails here.

        Clusters of the Cluster API drivers come with a default class of their own (the chart's csi-cinder one):
        a second default would make the class of a claim naming none depend on the API server's choice.
        """
        others = [other for other in self.client.get(self.classes_path).get('items') or []
                  if other['metadata']['name'] != spec['name'] and class_manifest.is_default(other, self.facts)]
        if others and not spec.get('existing_default'):
            names = [other['metadata']['name'] for other in others]
            raise CoeError(
                'Cluster %s: %s, and storage_class.default=true asks for %s to be it. Set '
                'storage_class.existing_default to keep (%s stays the default, %s is made non-default), replace (%s '
                'becomes the only default) or adopt (claims use %s, no class %s is made).'
                % (self.client.label, 'StorageClass %s is already the default class' % names[0] if len(names) == 1
                   else 'StorageClasses %s are already marked as default' % ', '.join(names), spec['name'],
                   others[0]['metadata']['name'], spec['name'], spec['name'], others[0]['metadata']['name'],
                   spec['name']))
        return others

    def _adopt(self, other_defaults):
        """No class of ours: the cluster's own default class serves the claims (existing_default=adopt)."""
        if len(other_defaults) > 1:
            raise CoeError('Cluster %s: storage_class.existing_default=adopt needs one default class, and %s are '
                           'all marked as default.' % (self.client.label, ', '.join(
                               other['metadata']['name'] for other in other_defaults)))
        adopted = other_defaults[0]
        self._managed_class = adopted
        self.provisioner = adopted.get('provisioner')
        self.notes.append('StorageClass %s, the cluster\'s default class, is adopted (storage_class.existing_default'
                          '=adopt): claims that name no class use it, and no StorageClass %s is made'
                          % (adopted['metadata']['name'], self.spec['name']))
        return {'existing': adopted, 'desired': adopted, 'action': None, 'others': [], 'adopted': True}

    def _apply_class(self, plan):
        name = self.spec['name']
        existing, action = plan['existing'], plan['action']
        if action == 'create':
            result = plan['desired'] if self.check_mode else self.client.create(self.classes_path, plan['desired'])
            message = 'created StorageClass %s (provisioner %s)' % (name, self.provisioner)
        elif action == 'replace':
            if self.check_mode:
                result = plan['desired']
            else:
                self.client.delete(self.class_path(name))
                result = self.client.create(self.classes_path, plan['desired'])
            message = 'replaced StorageClass %s (deleted and created again)' % name
        elif action == 'patch':
            result = (class_manifest.apply_patch(existing, plan['patch']) if self.check_mode
                      else self.client.merge_patch(self.class_path(name), plan['patch']))
            message = 'updated StorageClass %s (%s)' % (name, ', '.join(sorted(plan['patch'])))
        else:
            result, message = existing, None
        self._managed_class = result
        if plan.get('adopted'):
            name = existing['metadata']['name']
        self._record('StorageClass/%s' % name, class_manifest.view(existing), class_manifest.view(result), message)
        for other, patch in plan['others']:
            other_name = other['metadata']['name']
            updated = (class_manifest.apply_patch(other, patch) if self.check_mode
                       else self.client.merge_patch(self.class_path(other_name), patch))
            self._record('StorageClass/%s' % other_name, class_manifest.view(other), class_manifest.view(updated),
                         'StorageClass %s is no longer the default class' % other_name)

    def _plan_claims(self):
        plans, problems, namespaces = [], [], {}
        for index, claim in enumerate(self.params.get('claims') or []):
            where = 'claims[%d] (%s/%s)' % (index, claim['namespace'], claim['name'])
            namespace = claim['namespace']
            if namespace not in namespaces:
                namespaces[namespace] = self.client.find(kube_path('/api/v1/namespaces', namespace)) is not None
            for mode in claim_manifest.unsupported_access_modes(claim, self.facts):
                problems.append('%s: access mode %s needs Kubernetes %d.%d or later; the cluster runs %s'
                                % ((where, mode) + claim_manifest.READ_WRITE_ONCE_POD_SINCE
                                   + (self.facts.git_version,)))
            desired = claim_manifest.build(claim, self._claim_class_name(claim), self.facts)
            existing = self.client.find(self.claim_path(claim)) if namespaces[namespace] else None
            plan = {'claim': claim, 'desired': desired, 'existing': existing, 'action': None,
                    'create_namespace': not namespaces[namespace]}
            namespaces[namespace] = True  # created by the first claim that needs it
            if existing is None:
                plan['action'] = 'create'
            else:
                fixed, size_change = claim_manifest.differences(existing, desired)
                if fixed:
                    problems.append('%s: %s cannot change on an existing claim (%s); delete the claim (state=absent) '
                                    'and create it again' % (where, ', '.join(option for option, _c, _w in fixed),
                                                             '; '.join('%s: %s -> %s' % item for item in fixed)))
                if size_change == 'shrink':
                    problems.append('%s: size %s is smaller than the claim\'s %s; Kubernetes cannot shrink a claim'
                                    % (where, claim['size'], claim_manifest.requested_size(existing)))
                elif size_change == 'grow':
                    class_name = claim_manifest.class_of(existing)
                    storage_class = self.class_object(class_name) if class_name else None
                    if not (storage_class or {}).get('allowVolumeExpansion'):
                        problems.append('%s: growing the claim from %s to %s needs allowVolumeExpansion: true on '
                                        'StorageClass %s (storage_class.allow_volume_expansion)'
                                        % (where, claim_manifest.requested_size(existing), claim['size'],
                                           class_name or '(none)'))
                    plan['action'] = 'resize'
            plans.append(plan)
        if problems:
            raise CoeError('Cluster %s: %s' % (self.client.label, '; '.join(problems)))
        return plans

    def _apply_claims(self, plans):
        results = []
        for plan in plans:
            claim, existing = plan['claim'], plan['existing']
            identity = '%s/%s' % (claim['namespace'], claim['name'])
            if plan['create_namespace']:
                namespace = {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': claim['namespace']}}
                if not self.check_mode:
                    self.client.create('/api/v1/namespaces', namespace)
                self._record('Namespace/%s' % claim['namespace'], {}, namespace,
                             'created namespace %s' % claim['namespace'])
            if plan['action'] == 'create':
                if self.check_mode:
                    result = dict(plan['desired'], status={'phase': 'Pending'})
                else:
                    result = self.client.create(self.claims_path(claim['namespace']), plan['desired'])
                message = 'created PersistentVolumeClaim %s (%s)' % (identity, claim['size'])
            elif plan['action'] == 'resize':
                patch = claim_manifest.resize_patch(claim['size'])
                result = (class_manifest.apply_patch(existing, patch) if self.check_mode
                          else self.client.merge_patch(self.claim_path(claim), patch))
                message = 'resized PersistentVolumeClaim %s from %s to %s' % (
                    identity, claim_manifest.requested_size(existing), claim['size'])
            else:
                result, message = existing, None
            self._record('PersistentVolumeClaim/%s' % identity, claim_manifest.view(existing),
                         claim_manifest.view(result), message)
            results.append(result)
        return results

    def _wait_for_claims(self, plans, results):
        deadline = self.clock() + self.params['timeout']
        waited = []
        for plan, result in zip(plans, results):
            claim = plan['claim']
            identity = '%s/%s' % (claim['namespace'], claim['name'])
            if claim_manifest.phase_of(result) == 'Bound':
                waited.append(result)
                continue
            class_name = claim_manifest.class_of(result)
            storage_class = self.class_object(class_name) if class_name else None
            if (storage_class or {}).get('volumeBindingMode') == 'WaitForFirstConsumer':
                self.notes.append('claim %s: StorageClass %s binds a volume only when a pod uses the claim '
                                  '(WaitForFirstConsumer), so the claim stays Pending until then; not waiting for it'
                                  % (identity, class_name))
                waited.append(result)
                continue
            waited.append(self._wait_bound(claim, identity, max(0.0, deadline - self.clock())))
        return waited

    def _wait_bound(self, claim, identity, timeout):
        def is_done(obj):
            if claim_manifest.phase_of(obj) == 'Lost':
                raise CoeError('PersistentVolumeClaim %s on %s is Lost: its PersistentVolume %s no longer exists'
                               % (identity, self.client.label, (obj.get('spec') or {}).get('volumeName')))
            return claim_manifest.phase_of(obj) == 'Bound'

        waiter = Waiter(timeout, initial_interval=1.0, max_interval=5.0, clock=self.clock, sleep=self.sleep)
        try:
            return waiter.wait(lambda: self.client.get(self.claim_path(claim)),
                               lambda obj: claim_manifest.phase_of(obj) or 'Pending', is_done,
                               describe='PersistentVolumeClaim %s to become Bound' % identity)
        except WaitTimeout as exc:
            reason = self.client.latest_event(claim['namespace'], claim['name'])
            raise CoeError('%s%s (option timeout=%s)' % (exc.msg, ' Latest event: %s.' % reason if reason else '',
                                                         self.params['timeout']), **exc.details) from None

    # -- state=absent --------------------------------------------------------------------------------------------
    def _absent(self):
        plans, problems = [], []
        for index, claim in enumerate(self.params.get('claims') or []):
            identity = '%s/%s' % (claim['namespace'], claim['name'])
            existing = self.client.find(self.claim_path(claim))
            if existing is None:
                continue
            consequence = None
            if claim_manifest.phase_of(existing) == 'Bound':
                volume = (existing.get('spec') or {}).get('volumeName')
                volume_object = self.client.find(kube_path('/api/v1/persistentvolumes', volume)) if volume else None
                policy = ((volume_object or {}).get('spec') or {}).get('persistentVolumeReclaimPolicy') or 'Delete'
                if policy == 'Delete':
                    consequence = ('its PersistentVolume %s and the Cinder volume behind it are deleted too (reclaim '
                                   'policy Delete), and the data is lost' % volume)
                else:
                    consequence = ('its PersistentVolume %s and the Cinder volume behind it are kept (reclaim policy '
                                   '%s) and become Released' % (volume, policy))
                if not self.params['delete_bound_claims']:
                    problems.append('claims[%d]: PersistentVolumeClaim %s is Bound; deleting it needs '
                                    'delete_bound_claims=true: %s' % (index, identity, consequence))
            plans.append((claim, identity, existing, consequence))
        class_existing = None
        if self.spec and self.facts.storage_api_version:
            class_existing = self.client.find(self.class_path(self.spec['name']))
        if problems:
            raise CoeError('Cluster %s: %s' % (self.client.label, '; '.join(problems)))
        for claim, identity, existing, consequence in plans:
            if not self.check_mode and not self._delete(self.claim_path(claim)):
                self.already_deleted.append('PersistentVolumeClaim/%s' % identity)
                continue
            if consequence:
                self.warn('PersistentVolumeClaim %s: %s' % (identity, consequence))
            self._record('PersistentVolumeClaim/%s' % identity, claim_manifest.view(existing), {},
                         'deleted PersistentVolumeClaim %s' % identity)
        if class_existing is not None:
            if not self.check_mode and not self._delete(self.class_path(self.spec['name'])):
                self.already_deleted.append('StorageClass/%s' % self.spec['name'])
                return
            self._record('StorageClass/%s' % self.spec['name'], class_manifest.view(class_existing), {},
                         'deleted StorageClass %s' % self.spec['name'])
