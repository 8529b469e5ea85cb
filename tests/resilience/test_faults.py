# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults injected into the real API traffic of each module's mutating path.

Every case ends with exactly the resources asked for, either at once or after a failure with a clear message
that a second run (with no fault) recovers from; the request log proves that each fault hit the module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import stat
import time

import pytest

import support
from support import clusters_named, delete_cluster, template_fields, templates_named, wait_cluster

MAGNUM = 'magnum'
NEUTRON = 'neutron'
HEAT = 'heat'
UUID = '[0-9a-f-]{36}'


def rule(action, method, path, service=MAGNUM, times=1, **extra):
    return dict(extra, action=action, method=method, path=path, service=service, times=times)


def template_task(name, state='present', **extra):
    args = dict(name=name, state=state)
    if state == 'present':
        args.update(coe='kubernetes', image=support.IMAGE, external_network=support.EXTERNAL_NETWORK,
                    flavor=support.FLAVOR, master_flavor=support.FLAVOR, keypair=support.KEYPAIR,
                    network_driver='flannel', volume_driver='cinder', dns_nameserver='8.8.8.8',
                    labels={'kube_tag': 'v1.30.4'})
    args.update(extra)
    return {'name': 'template', 'coe.magnum.magnum_cluster_template': args}


def describe_hits(hits):
    return ', '.join('%s %s -> %s (%s)' % (h['method'], h['path'], h['status'], h['fault']) for h in hits)


def failure_message(run):
    failed = [record for record in run.records if record['outcome'] == 'failed']
    assert failed, 'the play failed before any task result:\n%s' % run.output[-3000:]
    return failed[0]['result'].get('msg', '')


def logged(method, path, status=None, service=MAGNUM, count=1):
    """A trigger: true once the request log of the window holds `count` such requests."""
    pattern = re.compile(path)

    def seen(window):
        return len([r for r in window.requests() if r['service'] == service and r['method'] == method
                    and pattern.search(r['path']) and (status is None or r['status'] == status)]) >= count
    return seen


def staged(trigger, rules):
    """Rules armed in the middle of a run, once trigger(window) sees the module get there in the request log."""
    def watch(window):
        def step():
            if trigger(window):
                window.set(rules)
                return True
            return False
        return support.Watch(step, interval=0.2)
    return watch


def run_case(runner, report, case, *args, **options):
    """A fault case whose outcome goes into the report, as it came out, whether the case passed or not."""
    try:
        return _run_case(runner, report, case, *args, **options)
    except AssertionError as error:
        report.add(case['id'], case['module'], case['path'], case['fault'],
                   'TEST FAILED: %s' % _short(str(error).splitlines()[0]))
        raise


def _run_case(runner, report, case, tasks, rules, check, expected_hits, watch=None, rerun_tasks=None):
    """Run the tasks under the rules; on failure, check the message and run again without faults.

    case: dict(id, module, path, fault). watch(window) -> support.Watch that arms more rules during the run.
    expected_hits: how many requests the rules must have hit (a fault that hit nothing proves nothing).
    """
    with support.FaultWindow(runner.proxies, case['id'], rules) as window:
        watcher = watch(window) if watch else None
        if watcher:
            watcher.start()
        try:
            run = runner.run(tasks)
        finally:
            if watcher:
                watcher.stop()
        hits = window.hits()
        requests = window.requests()
    if watcher and watcher.error:
        raise watcher.error
    assert len(hits) >= expected_hits, 'expected %d fault hits, got %d: %s\n%s' % (
        expected_hits, len(hits), describe_hits(hits), run.output[-3000:])
    seconds = run.seconds
    if run.returncode == 0:
        outcome = 'success'
    else:
        msg = failure_message(run)
        assert msg.startswith('Failed to') or 'could not be reached' in msg, msg
        assert 'Traceback' not in msg and 'MODULE FAILURE' not in run.output, run.output[-3000:]
        rerun = runner.run(rerun_tasks or tasks)
        seconds += rerun.seconds
        assert rerun.returncode == 0, 'the re-run did not recover:\n%s' % rerun.output[-3000:]
        outcome = 'clear failure ("%s"); a re-run succeeds' % _short(msg)
    run.requests = requests
    check(run)
    report.add(case['id'], case['module'], case['path'], case['fault'], outcome, seconds)
    return run


def _short(msg, limit=160):
    msg = ' '.join(msg.split())
    return msg if len(msg) <= limit else msg[:limit - 3] + '...'


# ---- cluster templates -------------------------------------------------------------------------------------------

def _one_template(cloud, name, **fields):
    def check(_run):
        found = templates_named(cloud, name)
        assert len(found) == 1, 'expected exactly one template %s, found %d' % (name, len(found))
        for field, value in fields.items():
            assert getattr(found[0], field) == value, (field, getattr(found[0], field))
    return check


TEMPLATE_CREATE_CASES = [
    ('T1', '503 twice on the lookup (GET)', lambda name: [
        rule('status', 'GET', '^/v1/clustertemplates/%s$' % name, status=503, times=2)], 2),
    ('T2', 'connection reset on the lookup (GET)', lambda name: [
        rule('reset', 'GET', '^/v1/clustertemplates/%s$' % name)], 1),
    ('T3', '3 s latency on the create (POST)', lambda name: [
        rule('latency', 'POST', '^/v1/clustertemplates$', seconds=3)], 1),
    ('T4', 'lost response on the create (POST): Magnum made the template', lambda name: [
        rule('lost_response', 'POST', '^/v1/clustertemplates$')], 1),
]


@pytest.mark.parametrize('case_id,fault,rules,hits', TEMPLATE_CREATE_CASES, ids=[c[0] for c in TEMPLATE_CREATE_CASES])
def test_template_create(runner, report, cloud, shared, case_id, fault, rules, hits):
    name = support.unique(case_id.lower())
    try:
        run_case(runner, report, dict(id=case_id, module='magnum_cluster_template', path='create', fault=fault),
                 [template_task(name)], rules(name), _one_template(cloud, name), hits)
    finally:
        for template in templates_named(cloud, name):
            cloud.container_infrastructure_management.delete_cluster_template(template)


@pytest.fixture
def template(cloud):
    name = support.unique('tpl')
    made = cloud.container_infrastructure_management.create_cluster_template(**template_fields(name))
    yield made
    for template in templates_named(cloud, name):
        cloud.container_infrastructure_management.delete_cluster_template(template)


def test_template_update_faults(runner, report, cloud, template):
    rules = [rule('status', 'GET', '^/v1/clustertemplates/%s$' % template.name, status=503, times=2),
             rule('latency', 'PATCH', '^/v1/clustertemplates/%s$' % template.id, seconds=3)]
    run_case(runner, report, dict(id='T5', module='magnum_cluster_template', path='update',
                                  fault='503 twice on the lookup; 3 s latency on the PATCH'),
             [template_task(template.name, dns_nameserver='8.8.4.4')], rules,
             _one_template(cloud, template.name, dns_nameserver='8.8.4.4'), 3)


def test_template_update_lost_response(runner, report, cloud, template):
    rules = [rule('lost_response', 'PATCH', '^/v1/clustertemplates/%s$' % template.id)]
    run_case(runner, report, dict(id='T6', module='magnum_cluster_template', path='update',
                                  fault='lost response on the PATCH: Magnum applied it'),
             [template_task(template.name, dns_nameserver='1.1.1.1')], rules,
             _one_template(cloud, template.name, dns_nameserver='1.1.1.1'), 1)


def _no_template(cloud, name):
    def check(_run):
        assert templates_named(cloud, name) == []
    return check


def test_template_delete_faults(runner, report, cloud, template):
    rules = [rule('status', 'GET', '^/v1/clustertemplates/%s$' % template.name, status=503, times=2),
             rule('reset', 'GET', '^/v1/clustertemplates/%s$' % template.name),
             rule('latency', 'DELETE', '^/v1/clustertemplates/%s$' % template.id, seconds=3)]
    run_case(runner, report, dict(id='T7', module='magnum_cluster_template', path='delete',
                                  fault='503 twice, then a reset, on the lookup; 3 s latency on the DELETE'),
             [template_task(template.name, state='absent')], rules, _no_template(cloud, template.name), 4)


def test_template_delete_lost_response(runner, report, cloud, template):
    rules = [rule('lost_response', 'DELETE', '^/v1/clustertemplates/%s$' % template.id)]
    run_case(runner, report, dict(id='T8', module='magnum_cluster_template', path='delete',
                                  fault='lost response on the DELETE: Magnum deleted it'),
             [template_task(template.name, state='absent')], rules, _no_template(cloud, template.name), 1)


# ---- clusters: one cluster through create, resize and delete -----------------------------------------------------

# A status poll: GET of a cluster by UUID (lookups by name use the name).
POLL = '^/v1/clusters/%s$' % UUID


@pytest.fixture(scope='module')
def lifecycle(cloud, shared):
    """The cluster the lifecycle cases create, resize and delete, in this order (deleted whatever happens)."""
    state = dict(name=support.unique('life'), template=shared.template_name, template_id=shared.template.id)
    yield state
    delete_cluster(cloud, state['name'], wait=True)


@pytest.fixture
def lifecycle_cluster(cloud, lifecycle):
    """The lifecycle cluster ready for the cases after the create: made through the backends when the create
    case did not leave one, so that each case runs and fails on its own."""
    if 'uuid' not in lifecycle:
        if support.find_cluster(cloud, lifecycle['name']) is None:
            cloud.container_infrastructure_management.create_cluster(
                name=lifecycle['name'], cluster_template_id=lifecycle['template_id'], master_count=1, node_count=1)
        lifecycle['uuid'] = wait_cluster(cloud, lifecycle['name']).uuid
    return lifecycle


def cluster_task(name, template, state='present', **extra):
    args = dict(name=name, state=state)
    if state == 'present':
        args['cluster_template'] = template
    args.update(extra)
    return {'name': 'cluster', 'coe.magnum.magnum_cluster': args}


def test_cluster_create(runner, report, cloud, lifecycle):
    """Faults all through one create: the lookup, the POST (lost: Magnum made the cluster), and the wait, whose
    polls meet a reset and 3 s of latency, and then a 401 as the token expires in the middle of the wait."""
    name = lifecycle['name']
    rules = [rule('status', 'GET', '^/v1/clusters/%s$' % name, status=503, times=2),
             rule('lost_response', 'POST', '^/v1/clusters$'),
             rule('reset', 'GET', POLL),
             rule('latency', 'GET', POLL, seconds=3)]
    # The token expires after three polls: the cluster takes 20 s (localcloud_delay), the third poll comes ~6 s
    # after the create, so the wait has well over 10 s to go.
    expiry = staged(logged('GET', POLL, count=3), [rule('expire_token', 'GET', POLL)])

    def check(run):
        found_clusters = clusters_named(cloud, name)
        if len(found_clusters) == 1:
            lifecycle['uuid'] = found_clusters[0].id
        assert len(found_clusters) == 1, 'expected one cluster %s, found %d' % (name, len(found_clusters))
        assert found_clusters[0].status == 'CREATE_COMPLETE'
        _reauthenticated(run.requests)

    run = run_case(runner, report, dict(
        id='C1', module='magnum_cluster', path='create (wait)',
        fault='503 twice on the lookup; lost response on the POST (Magnum made the cluster); a reset and 3 s '
              'latency on the status polls, then the token expires (401 for it from then on) after three polls'),
        [cluster_task(name, lifecycle['template'], master_count=1, node_count=1,
                      labels={'localcloud_delay': '20', 'kube_tag': 'v1.30.4'}, timeout=300)],
        rules, check, 6, watch=expiry)
    assert run.result('cluster').get('changed') is True


def _reauthenticated(log):
    """The expired token met one 401; the module then got a new token and went on polling with it."""
    refused = [i for i, r in enumerate(log) if r.get('fault') == 'expire_token']
    assert refused, 'the wait ended before the token expired'
    assert len(refused) == 1, 'the expired token was used again: %s' % [log[i] for i in refused]
    after = log[refused[0] + 1:]
    tokens = [i for i, r in enumerate(after) if r['method'] == 'POST' and r['path'].startswith('/v3/auth/tokens')]
    assert tokens, 'no new token was requested after the 401'
    assert [r for r in after[tokens[0]:] if re.search(POLL, r['path']) and r['status'] == 200], \
        'no status poll succeeded with the new token'


def _node_count(cloud, name, wanted):
    def check(_run):
        found = clusters_named(cloud, name)
        assert len(found) == 1
        assert found[0].node_count == wanted, found[0].node_count
    return check


def test_cluster_resize(runner, report, cloud, lifecycle_cluster):
    name, uuid = lifecycle_cluster['name'], lifecycle_cluster['uuid']
    rules = [rule('status', 'GET', '^/v1/clusters/%s$' % name, status=503, times=2),
             rule('reset', 'GET', '^/v1/clusters/%s/nodegroups' % uuid),
             rule('latency', 'POST', '^/v1/clusters/%s/actions/resize$' % uuid, seconds=3)]
    run_case(runner, report, dict(id='C2', module='magnum_cluster', path='resize (node_count 1 -> 2)',
                                  fault='503 twice on the lookup; a reset on the node group read; 3 s latency on '
                                        'the resize action'),
             [cluster_task(name, lifecycle_cluster['template'], node_count=2, timeout=300)], rules,
             _node_count(cloud, name, 2), 4)


def test_cluster_resize_lost_response(runner, report, cloud, lifecycle_cluster):
    name, uuid = lifecycle_cluster['name'], lifecycle_cluster['uuid']
    rules = [rule('lost_response', 'POST', '^/v1/clusters/%s/actions/resize$' % uuid)]
    run_case(runner, report, dict(id='C3', module='magnum_cluster', path='resize (node_count 2 -> 1)',
                                  fault='lost response on the resize action: Magnum started it'),
             [cluster_task(name, lifecycle_cluster['template'], node_count=1, timeout=300)], rules,
             _node_count(cloud, name, 1), 1)
    wait_cluster(cloud, name)


def test_cluster_delete(runner, report, cloud, lifecycle_cluster):
    """The delete returns at once, the detailed list meets Magnum's transient 400 while the row goes away, and
    a waiting delete meets it on its polls."""
    name, uuid = lifecycle_cluster['name'], lifecycle_cluster['uuid']
    transient = 'Cluster %s could not be found.' % uuid
    # The module reads the cluster by UUID only once it has sent the DELETE, and lists only in the second task.
    rules = [rule('status', 'GET', '^/v1/clusters/%s$' % name, status=503, times=2),
             rule('status', 'GET', r'^/v1/clusters/detail(\?|$)', status=400, times=2, message=transient),
             rule('status', 'GET', '^/v1/clusters/%s$' % uuid, status=400, times=2, message=transient)]
    tasks = [cluster_task(name, None, state='absent', wait=False),
             {'name': 'list', 'coe.magnum.magnum_cluster_info': {}},
             cluster_task(name, None, state='absent', timeout=300)]

    def check(run):
        assert clusters_named(cloud, name) == []
        listed = run.result('list')
        assert 'clusters' in listed, listed
        deleted = [i for i, r in enumerate(run.requests) if r['method'] == 'DELETE']
        assert deleted and all(i > deleted[0] for i, r in enumerate(run.requests) if r['status'] == 400), \
            'a transient 400 came before the DELETE'

    run_case(runner, report, dict(id='C4', module='magnum_cluster, magnum_cluster_info',
                                  path='delete (no wait), list, delete (wait)',
                                  fault='503 twice on the lookup; Magnum\'s transient 400 twice on the status polls '
                                        'and twice on the cluster list during the delete'),
             tasks, rules, check, 6)


# ---- cluster_config and cluster_ports on the shared cluster ------------------------------------------------------

def config_task(cluster, dest, **extra):
    return {'name': 'config', 'coe.magnum.magnum_cluster_config': dict(cluster=cluster, dest=dest, **extra)}


def _working_kubeconfig(path):
    def check(_run):
        from kubernetes import client, config
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        api = client.CoreV1Api(config.new_client_from_config(config_file=path))
        assert api.list_namespace().items is not None
    return check


def test_cluster_config_faults(runner, report, cloud, shared, tmp_path):
    cluster = shared.ready()
    dest = str(tmp_path / 'kube')
    # The CA is read by the cluster's name while the lookup goes on, and by its ID when that read is not the
    # cluster's or failed: a reset on each of the first two CA reads, whichever they are.
    rules = [rule('status', 'GET', '^/v1/clusters/%s$' % shared.name, status=503, times=2),
             rule('reset', 'GET', '^/v1/certificates/(%s|%s)$' % (cluster.uuid, shared.name), times=2),
             rule('latency', 'POST', '^/v1/certificates$', seconds=3)]
    run_case(runner, report, dict(id='K1', module='magnum_cluster_config', path='sign',
                                  fault='503 twice on the lookup; a reset on the first two CA reads; 3 s latency '
                                        'on the signing POST'),
             [config_task(shared.name, dest)], rules, _working_kubeconfig(os.path.join(dest, 'config')), 5)


def test_cluster_config_lost_response(runner, report, cloud, shared, tmp_path):
    shared.ready()
    dest = str(tmp_path / 'kube')
    rules = [rule('lost_response', 'POST', '^/v1/certificates$')]
    run_case(runner, report, dict(id='K2', module='magnum_cluster_config', path='sign',
                                  fault='lost response on the signing POST (signing creates nothing: sent again)'),
             [config_task(shared.name, dest)], rules, _working_kubeconfig(os.path.join(dest, 'config')), 1)


def ports_task(cluster, port):
    return {'name': 'ports', 'coe.magnum.magnum_cluster_ports': dict(
        cluster=cluster, role='worker',
        rules=[dict(protocol='tcp', port=port, remote_ip_prefix='10.20.0.0/16', description='resilience')])}


def _one_rule(cloud, port):
    def check(run):
        groups = run.result('ports')['groups']
        assert groups, 'no security group in the result'
        for group in groups:
            matching = [r for r in cloud.network.security_group_rules(security_group_id=group['id'])
                        if r.port_range_min == port and r.remote_ip_prefix == '10.20.0.0/16']
            assert len(matching) == 1, 'expected one rule for port %d in %s, found %d' % (
                port, group['id'], len(matching))
    return check


def test_cluster_ports_faults(runner, report, cloud, shared):
    # The stack's first read, whichever path it takes (by ID, or by name and ID after Heat's redirect).
    stack = re.escape(shared.ready().stack_id)
    rules = [rule('status', 'GET', '^/v1/clusters/%s$' % shared.name, status=503, times=2),
             rule('reset', 'GET', '/stacks/.*%s' % stack, service=HEAT),
             rule('latency', 'POST', '^/v2.0/security-group-rules$', service=NEUTRON, seconds=3)]
    run_case(runner, report, dict(id='P1', module='magnum_cluster_ports', path='rule create',
                                  fault='503 twice on the cluster lookup; a reset on the read of its Heat stack; '
                                        '3 s latency on the rule POST'),
             [ports_task(shared.name, 8081)], rules, _one_rule(cloud, 8081), 4)


def test_cluster_ports_reads_sent_ahead_that_fail(runner, report, cloud, shared):
    """A run that knows the cluster's stack and groups from an earlier one sends their reads while it looks the
    cluster up; when those reads fail (a reset, a 401 as a revoked token gets) the lookup reads again and the task
    does its work. The 401 of a read sent ahead is left as it is: the session renews no token for it."""
    stack = re.escape(shared.ready().stack_id)
    first = runner.run([ports_task(shared.name, 8083)])
    assert first.returncode == 0, first.output[-3000:]
    rules = [rule('reset', 'GET', '/stacks/.*%s' % stack, service=HEAT),
             rule('status', 'GET', '^/v2.0/security-groups[?]id=', service=NEUTRON, status=401)]
    with support.FaultWindow(runner.proxies, 'P3', rules) as window:
        run = runner.run([ports_task(shared.name, 8084)])
        hits, requests = window.hits(), window.requests()
    outcome = 'success' if run.returncode == 0 else 'TEST FAILED: %s' % failure_message(run)
    report.add('P3', 'magnum_cluster_ports', 'rule create', 'a reset on the Heat read and a 401 on the groups read '
               'sent ahead of the cluster lookup', outcome, run.seconds)
    assert run.returncode == 0, run.output[-3000:]
    assert len(hits) == 2, describe_hits(hits)
    # Had the 401 reached the lookup's own read, the session would have authenticated again.
    assert [r for r in requests if r['path'].startswith('/v3/auth/tokens') and r['method'] == 'POST'] == []
    # Each read twice: sent ahead (and failed), then the lookup's own.
    assert len([r for r in requests if r['method'] == 'GET' and re.search('/stacks/.*%s' % stack, r['path'])]) == 2
    assert len([r for r in requests if r['method'] == 'GET' and r['path'].startswith('/v2.0/security-groups?id=')]) == 2
    _one_rule(cloud, 8084)(run)


def test_cluster_ports_lost_response(runner, report, cloud, shared):
    shared.ready()
    rules = [rule('lost_response', 'POST', '^/v2.0/security-group-rules$', service=NEUTRON)]
    run_case(runner, report, dict(id='P2', module='magnum_cluster_ports', path='rule create',
                                  fault='lost response on the rule POST: Neutron made the rule'),
             [ports_task(shared.name, 8082)], rules, lambda run: None, 1)
    # Checked after a converged run, whose result names the groups whichever way the first run ended.
    converged = runner.run([ports_task(shared.name, 8082)])
    assert converged.returncode == 0 and converged.result('ports')['changed'] is False, converged.output[-2000:]
    _one_rule(cloud, 8082)(converged)


# ---- answers replaced after the service acted: 502, 503, 504 on every write ------------------------------------
#
# A load balancer that gives up waiting answers 502, 503 or 504 although the service has accepted the request; the
# proxy forwards the request and then answers with that status instead (replaced_response). One playbook per write
# meets the three statuses (and, where the table has none yet, a lost answer) on one task each; every task's first
# run and re-run are reported on a row of their own.

GATEWAY_STATUSES = (502, 503, 504)
# Each status on every cluster write (a cluster apiece) with `make faults`; `make test` gives each cluster write
# the faults named in its `short` labels, the statuses taking turns across the writes.
LONG = os.environ.get('RESILIENCE_LONG') == '1'


def replaced(method, path, service=MAGNUM, lost=False, short=None):
    """One rule per task, in the order of the tasks: the gateway statuses, then a lost answer when asked for;
    without RESILIENCE_LONG, only those whose label (502, 503, 504, lost) is in `short`, when given."""
    rules = [rule('replaced_response', method, path, service=service, status=status) for status in GATEWAY_STATUSES]
    if lost:
        rules.append(rule('lost_response', method, path, service=service))
    if short is not None and not LONG:
        rules = [fault_rule for fault_rule in rules if _label(fault_rule) in short]
    return rules


def _label(fault_rule):
    return 'lost' if fault_rule['action'] == 'lost_response' else str(fault_rule['status'])


def _fault_label(fault_rule):
    if fault_rule['action'] == 'lost_response':
        return 'lost answer'
    return '%d after forwarding' % fault_rule['status']


def run_each(runner, report, case, tasks, rules, check, write, magnum_max_version=None):
    """Each task meets the rule of its index; each task's outcome in the first run and, for those that failed,
    in a re-run of the whole play without faults, is reported on a row '<id>-<status>' (or '<id>-lost').

    write: (service, method, path pattern) of the faulted write, whose requests the log must show: each rule hit
    one request the service accepted (2xx behind the replaced answer), and no write was sent twice.
    """
    service, method, path = write
    pattern = re.compile(path)
    tolerant = [dict(task, ignore_errors=True) for task in tasks]
    try:
        with support.FaultWindow(runner.proxies, case['id'], rules, magnum_max_version=magnum_max_version) as window:
            first = runner.run(tolerant)
            hits = window.hits()
            window.set([])
            failed = [index for index, task in enumerate(tasks) if first.failed(task['name'])]
            rerun = runner.run(tasks) if failed else None
            requests = window.requests()
        assert len(hits) == len(rules), 'expected %d fault hits, got %d: %s\n%s' % (
            len(rules), len(hits), describe_hits(hits), first.output[-3000:])
        for hit in hits:
            accepted = hit.get('backend_status', hit['status'])
            assert accepted is not None and 200 <= accepted < 300, 'the service refused the write: %s' % hit
        if rerun is not None:
            assert rerun.returncode == 0, 'the re-run did not recover:\n%s' % rerun.output[-3000:]
        writes = [r for r in requests if r['service'] == service and r['method'] == method
                  and pattern.search(r['path'])]
        first.requests, first.writes, first.rerun = requests, writes, rerun
        check(first)
    except AssertionError as error:
        report.add(case['id'], case['module'], case['path'], case['fault'],
                   'TEST FAILED: %s' % _short(str(error).splitlines()[0]))
        raise
    seconds = first.seconds + (rerun.seconds if rerun else 0)
    for index, (task, fault_rule) in enumerate(zip(tasks, rules)):
        label = _label(fault_rule)
        if index in failed:
            msg = first.result(task['name']).get('msg', '')
            assert 'Traceback' not in msg and 'MODULE FAILURE' not in first.output, first.output[-3000:]
            outcome = 'first run: clear failure ("%s"); re-run: %s, needed to succeed' % (
                _short(msg, 140), 'changed' if rerun.result(task['name']).get('changed') else 'no change')
        else:
            outcome = 'first run: success%s' % ('' if first.result(task['name']).get('changed') else ' (no change)')
        report.add('%s-%s' % (case['id'], label), case['module'], case['path'],
                   '%s on the %s' % (_fault_label(fault_rule), case['fault']),
                   '%s; %d %s sent in all' % (outcome, len(writes), method), seconds)
    return first


def _sent_once_each(run, count):
    assert len(run.writes) == count, 'expected %d writes, the log has %d: %s' % (
        count, len(run.writes), describe_hits(run.writes))


@pytest.fixture(scope='module')
def gateway(cloud, shared):
    """Four clusters the G cases create, resize, patch and delete, in this order (deleted whatever happens)."""
    state = dict(names=[support.unique('gw%d' % index) for index in range(4)], template=shared.template_name)
    yield state
    for name in state['names']:
        delete_cluster(cloud, name, wait=False)
    for name in state['names']:
        delete_cluster(cloud, name, wait=True)


def _gateway_clusters(cloud, gateway, count):
    """The first `count` G clusters ready, made through the backends when G1 did not leave them."""
    for name in gateway['names'][:count]:
        if support.find_cluster(cloud, name) is None:
            cloud.container_infrastructure_management.create_cluster(
                name=name, cluster_template_id=gateway_template_id(cloud, gateway), master_count=1, node_count=1)
    return [wait_cluster(cloud, name) for name in gateway['names'][:count]]


def gateway_template_id(cloud, gateway):
    return templates_named(cloud, gateway['template'])[0].id


def test_gateway_cluster_create(runner, report, cloud, gateway):
    rules = replaced('POST', '^/v1/clusters$', lost=True, short=('502', 'lost'))
    names = gateway['names'][:len(rules)]
    tasks = [dict(cluster_task(name, gateway['template'], master_count=1, node_count=1, timeout=300),
                  name='cluster %d' % index) for index, name in enumerate(names)]

    def check(run):
        for name in names:
            found = clusters_named(cloud, name)
            assert len(found) == 1, 'expected one cluster %s, found %d' % (name, len(found))
            assert found[0].status == 'CREATE_COMPLETE', found[0].status
        _sent_once_each(run, len(names))

    run_each(runner, report, dict(id='G1', module='magnum_cluster', path='create (wait)', fault='cluster POST'),
             tasks, rules, check, (MAGNUM, 'POST', '^/v1/clusters$'))


def _resized(cloud, names, wanted):
    def check(run):
        for name in names:
            found = clusters_named(cloud, name)
            assert len(found) == 1
            assert found[0].node_count == wanted, (name, found[0].node_count)
        _sent_once_each(run, len(names))
    return check


def _gateway_node_count(runner, report, cloud, gateway, case, write, short, node_count, magnum_max_version=None):
    """The G clusters' node_count changed under the rules of one write (the resize action, or a PATCH)."""
    method, path = write
    rules = replaced(method, path, short=short)
    names = [cluster.name for cluster in _gateway_clusters(cloud, gateway, len(rules))]
    tasks = [dict(cluster_task(name, gateway['template'], node_count=node_count, timeout=300),
                  name='cluster %d' % index) for index, name in enumerate(names)]
    run_each(runner, report, dict(case, module='magnum_cluster'), tasks, rules, _resized(cloud, names, node_count),
             (MAGNUM, method, path), magnum_max_version=magnum_max_version)


def test_gateway_cluster_resize(runner, report, cloud, gateway):
    _gateway_node_count(runner, report, cloud, gateway,
                        dict(id='G2', path='resize (node_count 1 -> 2)', fault='resize action (POST)'),
                        ('POST', '^/v1/clusters/%s/actions/resize$' % UUID), ('503',), 2)


def test_gateway_cluster_patch(runner, report, cloud, gateway):
    """Magnum API 1.6 has no resize action: node_count changes with a PATCH of the cluster."""
    _gateway_node_count(runner, report, cloud, gateway,
                        dict(id='G3', path='update (node_count -> 3, API 1.6)', fault='cluster PATCH'),
                        ('PATCH', '^/v1/clusters/%s$' % UUID), ('504',), 3, magnum_max_version='1.6')


def test_gateway_cluster_delete(runner, report, cloud, gateway):
    path = '^/v1/clusters/%s$' % UUID
    rules = replaced('DELETE', path, lost=True, short=('503', 'lost'))
    names = [cluster.name for cluster in _gateway_clusters(cloud, gateway, len(rules))]
    tasks = [dict(cluster_task(name, None, state='absent', timeout=300), name='cluster %d' % index)
             for index, name in enumerate(names)]

    def check(run):
        for name in names:
            assert clusters_named(cloud, name) == [], 'cluster %s is still there' % name
        _sent_once_each(run, len(names))

    run_each(runner, report, dict(id='G4', module='magnum_cluster', path='delete (wait)', fault='cluster DELETE'),
             tasks, rules, check, (MAGNUM, 'DELETE', path))


@pytest.fixture(scope='module')
def gateway_templates(cloud):
    names = [support.unique('gwt%d' % index) for index in range(3)]
    yield names
    for name in names:
        for template in templates_named(cloud, name):
            cloud.container_infrastructure_management.delete_cluster_template(template)


def _template_tasks(names, **args):
    return [dict(template_task(name, **args), name='template %d' % index) for index, name in enumerate(names)]


def test_gateway_template_create(runner, report, cloud, gateway_templates):
    def check(run):
        for name in gateway_templates:
            _one_template(cloud, name)(run)
        _sent_once_each(run, len(gateway_templates))

    run_each(runner, report, dict(id='G5', module='magnum_cluster_template', path='create', fault='template POST'),
             _template_tasks(gateway_templates), replaced('POST', '^/v1/clustertemplates$'), check,
             (MAGNUM, 'POST', '^/v1/clustertemplates$'))


def _gateway_templates_made(cloud, names):
    for name in names:
        if not templates_named(cloud, name):
            cloud.container_infrastructure_management.create_cluster_template(**template_fields(name))


def test_gateway_template_update(runner, report, cloud, gateway_templates):
    _gateway_templates_made(cloud, gateway_templates)
    path = '^/v1/clustertemplates/%s$' % UUID

    def check(run):
        for name in gateway_templates:
            _one_template(cloud, name, dns_nameserver='9.9.9.9')(run)
        _sent_once_each(run, len(gateway_templates))

    run_each(runner, report, dict(id='G6', module='magnum_cluster_template', path='update', fault='template PATCH'),
             _template_tasks(gateway_templates, dns_nameserver='9.9.9.9'), replaced('PATCH', path), check,
             (MAGNUM, 'PATCH', path))


def test_gateway_template_delete(runner, report, cloud, gateway_templates):
    _gateway_templates_made(cloud, gateway_templates)
    path = '^/v1/clustertemplates/%s$' % UUID

    def check(run):
        for name in gateway_templates:
            assert templates_named(cloud, name) == [], 'template %s is still there' % name
        _sent_once_each(run, len(gateway_templates))

    run_each(runner, report, dict(id='G7', module='magnum_cluster_template', path='delete', fault='template DELETE'),
             _template_tasks(gateway_templates, state='absent'), replaced('DELETE', path), check,
             (MAGNUM, 'DELETE', path))


def test_gateway_rule_create(runner, report, cloud, shared):
    shared.ready()
    ports = (8101, 8102, 8103)
    tasks = [dict(ports_task(shared.name, port), name='ports %d' % port) for port in ports]
    path = '^/v2.0/security-group-rules$'

    def check(run):
        converged = runner.run(tasks)
        assert converged.returncode == 0, converged.output[-2000:]
        made = 0
        for port, task in zip(ports, tasks):
            assert converged.result(task['name'])['changed'] is False, 'port %d was not there yet' % port
            _one_rule(cloud, port)(_Named(task['name'], converged))
            made += len(converged.result(task['name'])['groups'])
        assert made >= len(ports)
        _sent_once_each(run, made)

    run_each(runner, report, dict(id='G8', module='magnum_cluster_ports', path='rule create',
                                  fault='security-group rule POST'),
             tasks, replaced('POST', path, service=NEUTRON), check, (NEUTRON, 'POST', path))


class _Named:
    """A run whose result('ports') is the result of one of its tasks, for _one_rule."""

    def __init__(self, task, run):
        self._task, self._run = task, run

    def result(self, _name):
        return self._run.result(self._task)


def test_gateway_certificate_sign(runner, report, cloud, shared, tmp_path):
    shared.ready()
    dests = [str(tmp_path / ('kube%d' % index)) for index in range(3)]
    tasks = [dict(config_task(shared.name, dest), name='config %d' % index) for index, dest in enumerate(dests)]

    def check(run):
        for dest in dests:
            _working_kubeconfig(os.path.join(dest, 'config'))(run)
        # Signing creates nothing in the cloud: a second signing request after an unknown answer is harmless.
        assert len(run.writes) >= len(dests)

    run_each(runner, report, dict(id='G9', module='magnum_cluster_config', path='sign',
                                  fault='certificate POST (signing)'),
             tasks, replaced('POST', '^/v1/certificates$'), check, (MAGNUM, 'POST', '^/v1/certificates$'))


def test_gateway_certificate_rotate(runner, report, cloud, shared, tmp_path):
    """CA rotation is no idempotent change: a re-run with rotate_ca: true rotates again, so the first run must
    confirm a rotation whose answer it did not get."""
    cluster = shared.ready()
    path = '^/v1/certificates/%s$' % re.escape(cluster.uuid)
    rules = replaced('PATCH', path, lost=True, short=('504', 'lost'))
    tasks = [dict(config_task(shared.name, str(tmp_path / ('kube%d' % index)), rotate_ca=True, timeout=300),
                  name='rotate %d' % index) for index in range(len(rules))]

    def check(run):
        wait_cluster(cloud, shared.name)
        if run.rerun is None:
            _sent_once_each(run, len(tasks))

    run_each(runner, report, dict(id='G10', module='magnum_cluster_config', path='rotate_ca',
                                  fault='certificate PATCH (CA rotation)'),
             tasks, rules, check, (MAGNUM, 'PATCH', path))


# ---- the cloud's services unavailable: Keystone, the Magnum endpoint, an answer that never comes ------------------

@pytest.fixture
def cluster_name(cloud):
    name = support.unique('svc')
    yield name
    delete_cluster(cloud, name, wait=True)


def test_keystone_unavailable_at_authentication(report, cloud, tmp_path, environment, proxies, collections_path):
    """The task must authenticate: its token cache starts empty, as in an AWX job's fresh container."""
    fresh_cache = dict(environment, COE_MAGNUM_AUTH_CACHE=str(tmp_path / 'empty-token-cache'))
    runner = support.Runner(str(tmp_path), fresh_cache, collections_path, proxies=proxies)
    name = support.unique('a1')
    rules = [rule('status', 'POST', '^/v3/auth/tokens', service='keystone', status=503, times=2)]

    def check(run):
        _one_template(cloud, name)(run)
        tokens = [r for r in run.requests if r['service'] == 'keystone' and r['method'] == 'POST']
        assert [r['status'] for r in tokens[:3]] == [503, 503, 201], describe_hits(tokens)

    try:
        run_case(runner, report, dict(id='A1', module='magnum_cluster_template', path='create (authentication)',
                                      fault='Keystone answers 503 twice to the token request'),
                 [template_task(name)], rules, check, 2)
    finally:
        for template in templates_named(cloud, name):
            cloud.container_infrastructure_management.delete_cluster_template(template)


def _one_cluster_one_post(cloud, name):
    def check(run):
        found = clusters_named(cloud, name)
        assert len(found) == 1, 'expected one cluster %s, found %d' % (name, len(found))
        assert found[0].status == 'CREATE_COMPLETE', found[0].status
        sent = [r for r in run.requests if r['method'] == 'POST' and r['path'] == '/v1/clusters']
        assert len(sent) == 1, 'expected one create request, got %d' % len(sent)
    return check


def test_read_timeout_on_create(runner, report, cloud, shared, cluster_name):
    """The answer to the POST does not come within api_timeout (the proxy holds the request 12 s, then Magnum
    gets it): an unknown outcome, confirmed by a read; the create is not sent again."""
    rules = [rule('latency', 'POST', '^/v1/clusters$', seconds=12)]
    run_case(runner, report, dict(id='X1', module='magnum_cluster', path='create (wait, api_timeout: 5)',
                                  fault='12 s latency on the POST, beyond the request timeout of 5 s'),
             [cluster_task(cluster_name, shared.template_name, master_count=1, node_count=1, timeout=300,
                           api_timeout=5)],
             rules, _one_cluster_one_post(cloud, cluster_name), 1)


MAGNUM_DOWN_SECONDS = 20


@pytest.mark.skipif(not LONG, reason='a minute of waiting: with `make faults` (RESILIENCE_LONG=1) only')
def test_magnum_endpoint_down_mid_wait(runner, report, cloud, shared, cluster_name):
    """Magnum's endpoint refuses connections for 20 s while the task waits for the create (its proxy stopped, as
    an API that is down looks to its clients); the wait goes on once it is back."""
    proxies = runner.proxies
    outage = {}

    def take_down(window):
        def step():
            if not logged('GET', POLL, count=2)(window):
                return False
            proxies.stop_service(MAGNUM)
            outage['down'] = time.time()
            time.sleep(MAGNUM_DOWN_SECONDS)
            proxies.start_service(MAGNUM)
            outage['up'] = time.time()
            return True
        return support.Watch(step, interval=0.2)

    def check(run):
        _one_cluster_one_post(cloud, cluster_name)(run)
        assert 'up' in outage, 'the wait ended before the Magnum endpoint went down'
        before = [r for r in run.requests if r['service'] == MAGNUM and r['time'] <= outage['down']]
        after = [r for r in run.requests if r['service'] == MAGNUM and r['time'] >= outage['up']]
        assert before and re.search(POLL, before[-1]['path']), 'no status poll before the outage'
        assert [r for r in after if re.search(POLL, r['path']) and r['status'] == 200], \
            'no status poll after the outage'
        assert run.result('cluster')['cluster']['status'] == 'CREATE_COMPLETE'

    try:
        run_case(runner, report, dict(
            id='M1', module='magnum_cluster', path='create (wait)',
            fault='Magnum endpoint refuses connections for %d s during the wait' % MAGNUM_DOWN_SECONDS),
            [cluster_task(cluster_name, shared.template_name, master_count=1, node_count=1, timeout=300,
                          labels={'localcloud_delay': '40', 'kube_tag': 'v1.30.4'})],
            [], check, 0, watch=take_down)
    finally:
        if proxies.processes[MAGNUM].poll() is not None:
            proxies.start_service(MAGNUM)


# ---- day 2: node groups and an upgrade, on a cluster of their own -----------------------------------------------

# The further node groups the cases make, update and delete, in this order.
GROUP_A, GROUP_B = 'res-a', 'res-b'
NEWER_KUBE_TAG = 'v1.31.0'


@pytest.fixture(scope='module')
def day2(cloud, shared):
    """The day-2 cluster (made at the start of the session with the shared one) and a template of a newer
    Kubernetes for its upgrade; the cases share both."""
    record = shared.ready(shared.day2_name)
    newer = support.unique('newer')
    template = cloud.container_infrastructure_management.create_cluster_template(
        **template_fields(newer, labels={'kube_tag': NEWER_KUBE_TAG}))
    yield dict(name=shared.day2_name, uuid=record.uuid, newer=newer, newer_id=template.id)
    delete_cluster(cloud, shared.day2_name, wait=False)
    support.delete_template(cloud, newer)


def nodegroup_task(cluster, name, state='present', **extra):
    return {'name': 'nodegroup', 'coe.magnum.magnum_nodegroup': dict(cluster=cluster, name=name, state=state,
                                                                      timeout=300, **extra)}


def _groups_named(cloud, day2, name):
    return [group for group in support.nodegroups_of(cloud, day2['uuid']) if group['name'] == name]


def ensure_group(runner, cloud, day2, name):
    """The group as the case before leaves it, made without faults when that case did not (so each case runs
    and fails on its own)."""
    if not _groups_named(cloud, day2, name):
        made = runner.run([nodegroup_task(day2['name'], name)])
        assert made.returncode == 0, made.output[-3000:]


def _sent(run, method, path):
    return [r for r in support.mutating(run.requests) if r['method'] == method and re.search(path, r['path'])]


def _one_group(cloud, day2, name, writes, **fields):
    """Exactly one group of that name, with those fields, settled; the faulted run sent each write (method, path,
    count) as many times as given, and nothing else that changes the cloud."""
    def check(run):
        found = _groups_named(cloud, day2, name)
        assert len(found) == 1, 'expected exactly one node group %s, found %d' % (name, len(found))
        assert found[0]['status'].endswith('_COMPLETE'), found[0]['status']
        for field, value in fields.items():
            assert found[0][field] == value, (field, found[0][field])
        _writes_were(run, writes)
    return check


def _writes_were(run, writes):
    for method, path, count in writes:
        assert len(_sent(run, method, path)) == count, '%s %s: %s' % (method, path, describe_hits(
            support.mutating(run.requests)))
    assert len(support.mutating(run.requests)) == sum(count for _m, _p, count in writes), describe_hits(
        support.mutating(run.requests))


def _lookup(day2, name):
    return '^/v1/clusters/%s/nodegroups/%s$' % (day2['uuid'], name)


def _groups_path(day2):
    return '^/v1/clusters/%s/nodegroups$' % day2['uuid']


def _group_path(day2, cloud, name):
    return '^/v1/clusters/%s/nodegroups/%s$' % (day2['uuid'], _groups_named(cloud, day2, name)[0]['uuid'])


def _resize_path(day2):
    return '^/v1/clusters/%s/actions/resize$' % day2['uuid']


def test_nodegroup_create_lost_response(runner, report, cloud, day2):
    rules = [rule('status', 'GET', _lookup(day2, GROUP_A), status=503, times=2),
             rule('lost_response', 'POST', _groups_path(day2))]
    run_case(runner, report, dict(id='D1', module='magnum_nodegroup', path='create',
                                  fault='503 twice on the group lookup; lost response on the POST (Magnum made the '
                                        'group)'),
             [nodegroup_task(day2['name'], GROUP_A)], rules,
             _one_group(cloud, day2, GROUP_A, [('POST', _groups_path(day2), 1)], node_count=1), 3)


def test_nodegroup_create_503(runner, report, cloud, day2):
    rules = [rule('status', 'POST', _groups_path(day2), status=503)]
    run_case(runner, report, dict(id='D2', module='magnum_nodegroup', path='create',
                                  fault='503 on the POST (not passed on to Magnum)'),
             [nodegroup_task(day2['name'], GROUP_B, node_count=2)], rules,
             _one_group(cloud, day2, GROUP_B, [('POST', _groups_path(day2), 1)], node_count=2), 1)


def test_nodegroup_update_lost_response(runner, report, cloud, day2):
    """A range and a count in one task: the PATCH's answer is lost (Magnum applied it), then the resize."""
    ensure_group(runner, cloud, day2, GROUP_A)
    patch = _group_path(day2, cloud, GROUP_A)
    rules = [rule('lost_response', 'PATCH', patch)]
    run_case(runner, report, dict(id='D3', module='magnum_nodegroup', path='update (max_node_count, node_count 1 -> 2)',
                                  fault='lost response on the PATCH: Magnum applied it'),
             [nodegroup_task(day2['name'], GROUP_A, node_count=2, max_node_count=3, force_node_count=True)], rules,
             _one_group(cloud, day2, GROUP_A, [('PATCH', patch, 1), ('POST', _resize_path(day2), 1)],
                        node_count=2, max_node_count=3), 1)


def test_nodegroup_resize_503(runner, report, cloud, day2):
    ensure_group(runner, cloud, day2, GROUP_A)
    rules = [rule('status', 'GET', _lookup(day2, GROUP_A), status=503, times=2),
             rule('status', 'POST', _resize_path(day2), status=503)]
    run_case(runner, report, dict(id='D4', module='magnum_nodegroup', path='resize (node_count -> 1)',
                                  fault='503 twice on the group lookup; 503 on the resize action'),
             [nodegroup_task(day2['name'], GROUP_A, node_count=1, force_node_count=True)], rules,
             _one_group(cloud, day2, GROUP_A, [('POST', _resize_path(day2), 1)], node_count=1), 3)


def _no_group(cloud, day2, name, writes):
    def check(run):
        assert _groups_named(cloud, day2, name) == []
        _writes_were(run, writes)
    return check


def test_nodegroup_delete_lost_response(runner, report, cloud, day2):
    ensure_group(runner, cloud, day2, GROUP_B)
    path = _group_path(day2, cloud, GROUP_B)
    rules = [rule('lost_response', 'DELETE', path)]
    run_case(runner, report, dict(id='D5', module='magnum_nodegroup', path='delete',
                                  fault='lost response on the DELETE: Magnum started it'),
             [nodegroup_task(day2['name'], GROUP_B, state='absent')], rules,
             _no_group(cloud, day2, GROUP_B, [('DELETE', path, 1)]), 1)


def test_nodegroup_delete_503(runner, report, cloud, day2):
    ensure_group(runner, cloud, day2, GROUP_A)
    path = _group_path(day2, cloud, GROUP_A)
    rules = [rule('status', 'GET', _lookup(day2, GROUP_A), status=503, times=2),
             rule('status', 'DELETE', path, status=503)]
    run_case(runner, report, dict(id='D6', module='magnum_nodegroup', path='delete',
                                  fault='503 twice on the group lookup; 503 on the DELETE'),
             [nodegroup_task(day2['name'], GROUP_A, state='absent')], rules,
             _no_group(cloud, day2, GROUP_A, [('DELETE', path, 1)]), 3)


def test_cluster_upgrade_lost_response(runner, report, cloud, day2):
    """The upgrade as the module's example writes it (no max_batch_size); its answer is lost after Magnum's
    conductor took it up."""
    upgrade = '^/v1/clusters/%s/actions/upgrade$' % day2['uuid']
    rules = [rule('lost_response', 'POST', upgrade)]

    def check(run):
        assert len(clusters_named(cloud, day2['name'])) == 1
        found = support.cluster_record(cloud, day2['uuid'])
        assert found['cluster_template_id'] == day2['newer_id'], found['cluster_template_id']
        assert (found['coe_version'], found['status']) == (NEWER_KUBE_TAG, 'UPDATE_COMPLETE'), found
        _writes_were(run, [('POST', upgrade, 1)])

    run = run_case(runner, report, dict(id='U1', module='magnum_cluster', path='upgrade (template v1.30.4 -> v1.31.0)',
                                        fault='lost response on the upgrade action: Magnum started it'),
                   [cluster_task(day2['name'], day2['newer'], allow_upgrade=True, timeout=300)], rules, check, 1)
    if run.returncode == 0:
        assert run.result('cluster')['cluster']['cluster_template_id'] == day2['newer_id']
