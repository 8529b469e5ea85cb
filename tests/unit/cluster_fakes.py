# -*- coding: utf-8 -*-
"""An in-memory Magnum for cluster logic: statuses that move with a fake clock, actions, versions and faults."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import uuid

from ansible_collections.coe.magnum.plugins.module_utils.magnum_api import parse_version
from ansible_collections.coe.magnum.tests.unit.fakes import FakeCloud, FakeMagnumHttp, HttpError, Response

# Like the local cloud's driver: a label makes an operation fail, with this reason.
FAIL_LABEL = 'localcloud_fail'
# Magnum's health sync runs every [kubernetes] health_polling_interval seconds.
HEALTH_POLL_SECONDS = 60.0


class FakeTime:
    """A clock that only moves when someone sleeps; `sleeps` lists every wait."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    time = monotonic
    # Code that takes a clock function (retry, the create journal) is handed the clock itself.
    __call__ = monotonic


class ConnectFailure(Exception):
    """Named like keystoneauth's exception for a reset connection (a retryable failure)."""


class ClusterMagnumHttp(FakeMagnumHttp):
    """Magnum's cluster API as its conductor makes it behave.

    - POST /clusters answers a UUID the GET does not know for `visible_after` seconds.
    - Create, update and delete take `work_seconds`; the conductor touches the record 1 second after the request,
      so a GET right after an action still shows the old status.
    - Versions: resize 1.7, upgrade 1.8, node groups 1.9, node_count 0 1.10; a request above the maximum is 406.
    - fault(method, path, ...) makes matching requests fail, before or after the service acted.
    """

    def __init__(self, clock, max_version='1.14', visible_after=3.0, work_seconds=15.0):
        super(ClusterMagnumHttp, self).__init__(max_version)
        self.clock = clock
        self.visible_after = visible_after
        self.work_seconds = work_seconds
        self.faults = []
        self.events = []
        # (method, url, body) of every write, to compare with what the magnum CLI sends
        self.bodies = []
        # Magnum's health sync saving a cluster's row (a new updated_at, the old status) right after an action's
        # request, before the conductor takes it up.
        self.health_sync_before_conductor = False

    # Test set-up
    def add_template(self, name, **fields):
        fields.setdefault('labels', {})
        return self.add('clustertemplates', name=name, **fields)

    def add_cluster(self, name, template, status='CREATE_COMPLETE', **fields):
        record = dict(name=name, cluster_template_id=template['uuid'], status=status, master_count=1,
                      node_count=1, labels=dict(template.get('labels') or {}), flavor_id=template.get('flavor_id'),
                      master_flavor_id=template.get('master_flavor_id'), keypair=template.get('keypair_id'),
                      updated_at='t0', status_reason=None)
        record.update(fields)
        return self.add('clusters', **record)

    def fault(self, method, path, status=None, times=1, after_acting=False, error=None):
        """The next `times` matching requests fail with HTTP `status` (or a reset connection when None, or
        `error`)."""
        self.faults.append(dict(method=method, path=path, status=status, times=times, after_acting=after_acting,
                                error=error))

    def clusters(self):
        self._advance()
        return [r for r in self.collections['clusters'].values() if r.get('_visible_at', 0) <= self.clock.now]

    def count(self, method, prefix=''):
        return len([r for r in self.requests if r[0] == method and r[1].startswith(prefix)])

    # The API
    def json_request(self, method, url, body=None, **kwargs):
        if method != 'GET':
            self.bodies.append((method, url, copy.deepcopy(body)))
        fault = self._take_fault(method, url)
        if fault and not fault['after_acting']:
            self.requests.append((method, url, self.api_version))
            raise _error(fault)
        response, answer = self._answer(method, url, body)
        if fault:
            raise _error(fault)
        # Magnum answers JSON: what the client reads is new objects (strings included), never the fake's own.
        return response, json.loads(json.dumps(answer))

    def _answer(self, method, url, body):
        self._advance()
        if parse_version(self.api_version) > parse_version(self.max_version):
            self.requests.append((method, url, self.api_version))
            raise HttpError(406, 'Version %s was requested but the maximum is %s.'
                            % (self.api_version, self.max_version))
        parts = url.strip('/').split('?')[0].split('/')
        if parts[0] != 'clusters':
            return super(ClusterMagnumHttp, self).json_request(method, url, body)
        self.requests.append((method, url, self.api_version))
        if method == 'GET' and parts[1:] == ['detail']:
            return Response(), {'clusters': [_shown(r) for r in self.clusters()]}
        if method == 'POST' and len(parts) == 1:
            return Response(), self._create(body)
        record = self._find_cluster(parts[1])
        if method == 'GET' and len(parts) == 2:
            return Response(), _shown(record)
        if method == 'GET' and parts[2:] == ['nodegroups']:
            self._need('1.9')
            return Response(), {'nodegroups': _node_groups(record)}
        if method == 'GET' and len(parts) == 4 and parts[2] == 'nodegroups':
            self._need('1.9')
            return Response(), _find_group(record, parts[3])
        if parts[2:3] == ['nodegroups']:
            self._need('1.9')
            return Response(), self._nodegroup_write(record, method, parts[3] if len(parts) > 3 else None, body)
        if method == 'POST' and parts[2:] == ['actions', 'resize']:
            self._need('1.7')
            if body['node_count'] == 0:
                self._need('1.10')
            group = _find_group(record, body['nodegroup']) if body.get('nodegroup') else None
            if group is not None and not group['is_default']:
                self._group_work(record, group['uuid'], 'UPDATE', dict(node_count=body['node_count']))
                return Response(), {'uuid': record['uuid']}
            return Response(), self._work(record, 'UPDATE', dict(node_count=body['node_count']))
        if method == 'POST' and parts[2:] == ['actions', 'upgrade']:
            self._need('1.8')
            if 'max_batch_size' not in body:
                # Magnum's API passes the unset field on to its conductor's RPC, which cannot serialise it.
                raise HttpError(500, 'Cannot convert Unset to primitive')
            template = self._find('clustertemplates', body['cluster_template'])
            return Response(), self._work(record, 'UPDATE', _upgraded(record, template, body.get('nodegroup')))
        if method == 'PATCH':
            changes = {}
            for operation in body:
                if operation['path'] != '/node_count':
                    raise HttpError(400, "The '%s' field can not be updated." % operation['path'].strip('/'))
                changes['node_count'] = operation['value']
            if changes.get('node_count') == 0 and parse_version(self.api_version) < (1, 10):
                raise HttpError(400, 'node_count must be greater than 0.')
            return Response(), self._work(record, 'UPDATE', changes)
        if method == 'DELETE':
            self._work(record, 'DELETE', {})
            return Response(), None
        raise AssertionError('unexpected request %s %s' % (method, url))

    def _nodegroup_write(self, record, method, ident, body):
        """Node group create, PATCH (min/max only) and delete, as Magnum's API and conductor make them."""
        if method == 'POST' and ident is None:
            if any(group['name'] == body['name'] for group in _node_groups(record)):
                raise HttpError(409, 'A node group with name %s already exists in the cluster %s.'
                                % (body['name'], record['name']))
            if not record.get('api_address', 'https://127.0.0.1:6443'):
                raise HttpError(400, 'Cluster API address is not available yet')
            labels = dict(record.get('labels') or {})
            if body.get('labels') is not None:
                labels = dict(labels, **body['labels']) if body.get('merge_labels') else dict(body['labels'])
            group = dict(uuid=str(uuid.uuid4()), name=body['name'], role=body.get('role', 'worker'), is_default=False,
                         node_count=body.get('node_count', 1), min_node_count=body.get('min_node_count', 0),
                         max_node_count=body.get('max_node_count'),
                         flavor_id=body.get('flavor_id') or record.get('flavor_id'),
                         image_id=body.get('image_id') or 'fedora-coreos-40', labels=labels,
                         docker_volume_size=body.get('docker_volume_size'), status='CREATE_IN_PROGRESS',
                         status_reason=None, version=labels.get('kube_tag'), updated_at=None)
            fails = labels.get(FAIL_LABEL) == 'create'

            def appear(cluster):
                cluster.setdefault('_groups', []).append(group)
            record.setdefault('_timeline', []).append((self.clock.now + 1, appear))
            self._group_work(record, group['uuid'], 'CREATE', {}, fails=fails, touch_at=2)
            return _without_private(group)
        group = _find_group(record, ident)
        if method == 'PATCH':
            changes = {}
            for operation in body:
                field = operation['path'].strip('/')
                if field not in ('min_node_count', 'max_node_count', 'node_labels', 'node_taints'):
                    raise HttpError(400, "The '%s' field can not be updated." % field)
                changes[field] = operation['value']
            if group['is_default']:
                record.setdefault('_group_fields', {}).setdefault(group['name'], {}).update(changes)
                self._work(record, 'UPDATE', {})
                return _find_group(record, ident)
            self._group_work(record, group['uuid'], 'UPDATE', changes)
            return dict(group, **changes)
        if method == 'DELETE':
            if group['is_default']:
                raise HttpError(400, 'Deleting a default nodegroup is not supported.')
            self._group_work(record, group['uuid'], 'DELETE', {})
            return None
        raise AssertionError('unexpected node group request %s %s' % (method, ident))

    def _group_work(self, record, group_uuid, operation, changes, fails=False, touch_at=1):
        """The cluster goes UPDATE_IN_PROGRESS with the group, both settle `work_seconds` later."""
        def touch(cluster):
            cluster['status'] = 'UPDATE_IN_PROGRESS'
            for group in cluster.get('_groups', []):
                if group['uuid'] == group_uuid:
                    group.update(changes, status='%s_IN_PROGRESS' % operation, updated_at=self.clock.now)

        def settle(cluster):
            for group in list(cluster.get('_groups', [])):
                if group['uuid'] != group_uuid:
                    continue
                if fails:
                    group.update(status='%s_FAILED' % operation, status_reason='Resource CREATE failed: injected')
                elif operation == 'DELETE':
                    cluster['_groups'].remove(group)
                else:
                    group.update(status='%s_COMPLETE' % operation, updated_at=self.clock.now)
            cluster['status'] = 'UPDATE_FAILED' if fails else 'UPDATE_COMPLETE'
        timeline = record.setdefault('_timeline', [])
        timeline.append((self.clock.now + touch_at, touch))
        timeline.append((self.clock.now + self.work_seconds, settle))
        self.events.append(('nodegroup %s' % operation.lower(), record['name']))

    def _need(self, version):
        if parse_version(self.api_version) < parse_version(version):
            raise HttpError(406, 'This action needs version %s; %s was requested.' % (version, self.api_version))

    def _find_cluster(self, ident):
        visible = dict((u, r) for u, r in self.collections['clusters'].items()
                       if r.get('_visible_at', 0) <= self.clock.now)
        if ident in visible:
            return visible[ident]
        named = [r for r in visible.values() if r.get('name') == ident]
        if len(named) > 1:
            raise HttpError(409, 'Multiple clusters exist with same name %s. Please use the cluster uuid instead.'
                            % ident)
        if not named:
            raise HttpError(404, 'Cluster %s could not be found.' % ident)
        return named[0]

    def _create(self, body):
        if body.get('node_count') == 0 and parse_version(self.api_version) < (1, 10):
            raise HttpError(400, 'node_count must be greater than 0.')
        template = self._find('clustertemplates', body['cluster_template_id'])
        labels = dict(template.get('labels') or {})
        if body.get('labels'):
            labels = dict(labels, **body['labels']) if body.get('merge_labels') else dict(body['labels'])
        record = dict(uuid=str(uuid.uuid4()), name=body['name'], cluster_template_id=template['uuid'],
                      master_count=body.get('master_count', 1), node_count=body.get('node_count', 1),
                      flavor_id=body.get('flavor_id') or template.get('flavor_id'),
                      master_flavor_id=body.get('master_flavor_id') or template.get('master_flavor_id'),
                      keypair=body.get('keypair') or template.get('keypair_id'), labels=labels,
                      docker_volume_size=body.get('docker_volume_size') or template.get('docker_volume_size'),
                      create_timeout=body.get('create_timeout', 60), discovery_url=body.get('discovery_url'),
                      status='CREATE_IN_PROGRESS', status_reason=None, updated_at=None,
                      _visible_at=self.clock.now + self.visible_after)
        for field in ('fixed_network', 'fixed_subnet', 'floating_ip_enabled', 'master_lb_enabled'):
            record[field] = body.get(field, template.get(field))
        self.collections['clusters'][record['uuid']] = record
        self._schedule(record, 'CREATE')
        self.events.append(('create', record['name']))
        return {'uuid': record['uuid']}

    def _work(self, record, operation, changes):
        if self.health_sync_before_conductor:
            health_save = (self.clock.now, lambda cluster: cluster.update(_health(cluster)))
            record.setdefault('_timeline', []).append(health_save)
        touch = dict(changes, status='%s_IN_PROGRESS' % operation)
        record.setdefault('_timeline', []).append((self.clock.now + 1, touch))
        self._schedule(record, operation)
        self.events.append((operation.lower(), record['name']))
        return {'uuid': record['uuid']}

    def _schedule(self, record, operation):
        fails = (record.get('labels') or {}).get(FAIL_LABEL) == operation.lower()
        # As the local cloud's driver: a second delete removes what kept the first from finishing.
        fails = fails and not (operation == 'DELETE' and record.get('status') == 'DELETE_FAILED')
        if fails:
            end = dict(status='%s_FAILED' % operation, status_reason='%s=%s' % (FAIL_LABEL, operation.lower()),
                       faults={'default-worker': 'node failed to %s' % operation.lower()})
        elif operation == 'DELETE':
            end = None
        else:
            end = dict(status='%s_COMPLETE' % operation, status_reason='Stack %s completed successfully' % operation)
        record.setdefault('_timeline', []).append((self.clock.now + self.work_seconds, end))
        if end and operation == 'CREATE' and not fails:
            # Magnum's periodic health sync reaches the new cluster some time later.
            record['_timeline'].append((self.clock.now + self.work_seconds + HEALTH_POLL_SECONDS, _health(record)))

    def _advance(self):
        for key, record in list(self.collections['clusters'].items()):
            timeline = record.get('_timeline', [])
            timeline.sort(key=lambda entry: entry[0])  # stable: changes due at once keep their order
            while timeline and timeline[0][0] <= self.clock.now:
                at, changes = timeline.pop(0)
                if callable(changes):
                    changes(record)
                    record['updated_at'] = 't%s' % at
                    continue
                if changes is None:
                    del self.collections['clusters'][key]
                    break
                record.update(changes)
                record['updated_at'] = 't%s' % at

    def _take_fault(self, method, url):
        for fault in self.faults:
            if fault['times'] > 0 and fault['method'] == method and url.startswith(fault['path']):
                fault['times'] -= 1
                return fault
        return None


def _error(fault):
    if fault.get('error') is not None:
        return fault['error']
    if fault['status'] is None:
        return ConnectFailure('Connection reset by peer')
    return HttpError(fault['status'], 'Injected fault')


def _health(record):
    """What Magnum's Kubernetes monitor reports: /healthz and each node's Ready condition."""
    if (record.get('labels') or {}).get('localcloud_unhealthy') == 'true':
        return dict(health_status='UNHEALTHY', health_status_reason={})
    return dict(health_status='HEALTHY', health_status_reason={'api': 'ok', 'node-0.Ready': 'True'})


def _shown(record):
    return copy.deepcopy(dict((k, v) for k, v in record.items() if not k.startswith('_')))


def _node_groups(record):
    """The default groups (as Magnum derives them from the cluster) and further ones from `_groups`."""
    version = record.get('coe_version') or (record.get('labels') or {}).get('kube_tag')
    groups = [dict(uuid='%s-master' % record['uuid'], name='default-master', role='master', is_default=True,
                   node_count=record['master_count'], version=version, labels=dict(record.get('labels') or {})),
              dict(uuid='%s-worker' % record['uuid'], name='default-worker', role='worker', is_default=True,
                   node_count=record['node_count'], version=version, labels=dict(record.get('labels') or {}))]
    for group in groups:
        group.update(min_node_count=0, max_node_count=None, status=record.get('status'))
        group.update(record.get('_group_fields', {}).get(group['name'], {}))
    return groups + [_without_private(group) for group in record.get('_groups', [])]


def _without_private(group):
    return copy.deepcopy(dict((k, v) for k, v in group.items() if not k.startswith('_')))


def _find_group(record, ident):
    for group in _node_groups(record):
        if ident in (group['uuid'], group['name']):
            return group
    raise HttpError(404, 'Nodegroup %s could not be found.' % ident)


def _upgraded(record, template, nodegroup):
    """What an upgrade changes: like the local cloud's driver, the template's kube_tag on the cluster or on the
    named group; label localcloud_keep_template_id keeps the cluster's template reference."""
    version = (template.get('labels') or {}).get('kube_tag')
    group = _find_group(record, nodegroup) if nodegroup else None
    if group is not None and not group['is_default']:
        groups = copy.deepcopy(record.get('_groups', []))
        for stored in groups:
            if stored['uuid'] == group['uuid']:
                stored['version'] = version
                stored['labels'] = dict(stored.get('labels') or {}, kube_tag=version)
        return dict(_groups=groups)
    changes = dict(labels=dict(record.get('labels') or {}, kube_tag=version), coe_version=version)
    if (record.get('labels') or {}).get('localcloud_keep_template_id') != 'true':
        changes['cluster_template_id'] = template['uuid']
    return changes


class ClusterCloud(FakeCloud):
    """A FakeCloud whose Magnum has clusters, with a template `k8s` (and `k8s-new`) ready."""

    def __init__(self, clock=None, max_version='1.14', **http_options):
        super(ClusterCloud, self).__init__(max_version)
        self.clock = clock or FakeTime()
        self.http = ClusterMagnumHttp(self.clock, max_version, **http_options)
        self.magnum._http = self.http
        self.template = self.http.add_template('k8s', coe='kubernetes', flavor_id='m1.small',
                                               master_flavor_id='m1.small', keypair_id='default',
                                               labels={'kube_tag': 'v1.29.0'})
        self.new_template = self.http.add_template('k8s-new', coe='kubernetes', flavor_id='m1.small',
                                                   master_flavor_id='m1.small', keypair_id='default',
                                                   labels={'kube_tag': 'v1.30.4'})
