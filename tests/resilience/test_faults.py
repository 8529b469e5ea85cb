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


def staged(stages):
    """Rules armed one stage after the other, each when its trigger sees the module get there in the log.

    A rule that cannot name the module's own resource (a POST) is armed only right before the module sends
    it, so that no other client of the shared cloud meets it. stages: [(trigger(window), rules)].
    """
    def watch(window):
        remaining = list(stages)

        def step():
            trigger, rules = remaining[0]
            if trigger(window):
                window.set(rules() if callable(rules) else rules)
                remaining.pop(0)
            return not remaining
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
    with support.FaultWindow(case['id'], rules) as window:
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
    if run.returncode == 0:
        outcome = 'success'
    else:
        msg = failure_message(run)
        assert msg.startswith('Failed to') or 'could not be reached' in msg, msg
        assert 'Traceback' not in msg and 'MODULE FAILURE' not in run.output, run.output[-3000:]
        rerun = runner.run(rerun_tasks or tasks)
        assert rerun.returncode == 0, 'the re-run did not recover:\n%s' % rerun.output[-3000:]
        outcome = 'clear failure ("%s"); a re-run succeeds' % _short(msg)
    run.requests = requests
    check(run)
    report.add(case['id'], case['module'], case['path'], case['fault'], outcome)
    return run


def _short(msg, limit=110):
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


def _before_template_post(name, post_rule):
    """The POST rule, armed once the module's lookup of the new name has come back 404."""
    return [], staged([(logged('GET', '^/v1/clustertemplates/%s$' % name, status=404), [post_rule])])


TEMPLATE_CREATE_CASES = [
    ('T1', '503 twice on the lookup (GET)', lambda name: (
        [rule('status', 'GET', '^/v1/clustertemplates/%s$' % name, status=503, times=2)], None), 2),
    ('T2', 'connection reset on the lookup (GET)', lambda name: (
        [rule('reset', 'GET', '^/v1/clustertemplates/%s$' % name)], None), 1),
    ('T3', '3 s latency on the create (POST)', lambda name: _before_template_post(
        name, rule('latency', 'POST', '^/v1/clustertemplates$', seconds=3)), 1),
    ('T4', 'lost response on the create (POST): Magnum made the template', lambda name: _before_template_post(
        name, rule('lost_response', 'POST', '^/v1/clustertemplates$')), 1),
]


@pytest.mark.parametrize('case_id,fault,rules,hits', TEMPLATE_CREATE_CASES, ids=[c[0] for c in TEMPLATE_CREATE_CASES])
def test_template_create(runner, report, cloud, shared, case_id, fault, rules, hits):
    name = support.unique(case_id.lower())
    initial, watch = rules(name)
    try:
        run_case(runner, report, dict(id=case_id, module='magnum_cluster_template', path='create', fault=fault),
                 [template_task(name)], initial, _one_template(cloud, name), hits, watch=watch)
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

@pytest.fixture(scope='module')
def lifecycle(cloud, shared):
    """The cluster the lifecycle cases create, resize and delete, in this order (deleted whatever happens)."""
    state = dict(name=support.unique('life'), template=shared.template_name)
    yield state
    delete_cluster(cloud, state['name'], wait=True)


def cluster_task(name, template, state='present', **extra):
    args = dict(name=name, state=state)
    if state == 'present':
        args['cluster_template'] = template
    args.update(extra)
    return {'name': 'cluster', 'coe.magnum.magnum_cluster': args}


def _logged_polls(window, uuid):
    return [r for r in window.requests() if r['method'] == 'GET' and r['path'] == '/v1/clusters/%s' % uuid]


def test_cluster_create(runner, report, cloud, lifecycle):
    """Faults all through one create: the lookup, the POST (lost: Magnum made the cluster), and the wait, whose
    polls meet a reset, 3 s of latency and a 401 (an expired token) in the middle."""
    name = lifecycle['name']
    found = {}

    def cluster_stored(window):
        try:
            # By name in one GET: Magnum answers 404 until its conductor stores the row.
            found['uuid'] = cloud.container_infrastructure_management.get_cluster(name).id
        except Exception:
            return False
        return True

    def poll_faults():
        poll = '^/v1/clusters/%s$' % found['uuid']
        return [rule('reset', 'GET', poll), rule('latency', 'GET', poll, seconds=3)]

    def polled_four_times(window):
        return len(_logged_polls(window, found['uuid'])) >= 4

    def expired_token():
        found['expired'] = True
        return [rule('status', 'GET', '^/v1/clusters/%s$' % found['uuid'], status=401,
                     message='The request you have made requires authentication.')]

    watch = staged([
        (logged('GET', '^/v1/clusters/%s$' % name, status=404), [rule('lost_response', 'POST', '^/v1/clusters$')]),
        (cluster_stored, poll_faults),
        # The 401 comes once the module has polled a few times: the middle of the wait.
        (polled_four_times, expired_token),
    ])
    rules = [rule('status', 'GET', '^/v1/clusters/%s$' % name, status=503, times=2)]

    def check(run):
        found_clusters = clusters_named(cloud, name)
        if len(found_clusters) == 1:
            lifecycle['uuid'] = found_clusters[0].id
        assert len(found_clusters) == 1, 'expected one cluster %s, found %d' % (name, len(found_clusters))
        assert found_clusters[0].status == 'CREATE_COMPLETE'
        assert found.get('expired'), 'the wait ended before the 401 could be injected'

    run = run_case(runner, report, dict(
        id='C1', module='magnum_cluster', path='create (wait)',
        fault='503 twice on the lookup; lost response on the POST (Magnum made the cluster); a reset, 3 s latency '
              'and then a 401 (token expired) on the status polls, the 401 after four polls (localcloud_delay=15)'),
        [cluster_task(name, lifecycle['template'], master_count=1, node_count=1,
                      labels={'localcloud_delay': '15', 'kube_tag': 'v1.30.4'}, timeout=300)],
        rules, check, 6, watch=watch)
    result = run.result('cluster')
    assert result.get('changed') is True
    # Evidence of the re-authentication: a poll answered 200 after the injected 401.
    log = run.requests
    unauthorized = [i for i, r in enumerate(log) if r.get('status') == 401 and found['uuid'] in r['path']]
    assert unauthorized, 'no 401 was logged for the cluster'
    later = [r for r in log[unauthorized[-1] + 1:] if r['path'] == '/v1/clusters/%s' % found['uuid']
             and r['status'] == 200]
    assert later, 'no successful poll after the 401'


def _node_count(cloud, name, wanted):
    def check(_run):
        found = clusters_named(cloud, name)
        assert len(found) == 1
        assert found[0].node_count == wanted, found[0].node_count
    return check


def test_cluster_resize(runner, report, cloud, lifecycle):
    if 'uuid' not in lifecycle:
        pytest.skip('the lifecycle cluster was not created')
    name, uuid = lifecycle['name'], lifecycle['uuid']
    rules = [rule('status', 'GET', '^/v1/clusters/%s$' % name, status=503, times=2),
             rule('reset', 'GET', '^/v1/clusters/%s/nodegroups' % uuid),
             rule('latency', 'POST', '^/v1/clusters/%s/actions/resize$' % uuid, seconds=3)]
    run_case(runner, report, dict(id='C2', module='magnum_cluster', path='resize (node_count 1 -> 2)',
                                  fault='503 twice on the lookup; a reset on the node group read; 3 s latency on '
                                        'the resize action'),
             [cluster_task(name, lifecycle['template'], node_count=2, timeout=300)], rules,
             _node_count(cloud, name, 2), 4)


def test_cluster_resize_lost_response(runner, report, cloud, lifecycle):
    if 'uuid' not in lifecycle:
        pytest.skip('the lifecycle cluster was not created')
    name, uuid = lifecycle['name'], lifecycle['uuid']
    rules = [rule('lost_response', 'POST', '^/v1/clusters/%s/actions/resize$' % uuid)]
    run_case(runner, report, dict(id='C3', module='magnum_cluster', path='resize (node_count 2 -> 1)',
                                  fault='lost response on the resize action: Magnum started it'),
             [cluster_task(name, lifecycle['template'], node_count=1, timeout=300)], rules,
             _node_count(cloud, name, 1), 1)
    wait_cluster(cloud, name)


def test_cluster_delete(runner, report, cloud, lifecycle):
    """The delete returns at once, the detailed list meets Magnum's transient 400 while the row goes away, and
    a waiting delete meets it on its polls."""
    if 'uuid' not in lifecycle:
        pytest.skip('the lifecycle cluster was not created')
    name, uuid = lifecycle['name'], lifecycle['uuid']
    transient = 'Cluster %s could not be found.' % uuid
    rules = [rule('status', 'GET', '^/v1/clusters/%s$' % name, status=503, times=2)]
    # Armed once the delete is sent, as Magnum's own 400s come while the row goes away.
    watch = staged([(logged('DELETE', '^/v1/clusters/%s$' % uuid), [
        rule('status', 'GET', r'^/v1/clusters/detail(\?|$)', status=400, times=2, message=transient),
        rule('status', 'GET', '^/v1/clusters/%s$' % uuid, status=400, times=2, message=transient)])])
    tasks = [cluster_task(name, None, state='absent', wait=False),
             {'name': 'list', 'coe.magnum.magnum_cluster_info': {}},
             cluster_task(name, None, state='absent', timeout=300)]

    def check(run):
        assert clusters_named(cloud, name) == []
        listed = run.result('list')
        assert 'clusters' in listed, listed

    run_case(runner, report, dict(id='C4', module='magnum_cluster, magnum_cluster_info',
                                  path='delete (no wait), list, delete (wait)',
                                  fault='503 twice on the lookup; Magnum\'s transient 400 twice on the cluster '
                                        'list and twice on the status polls during the delete'),
             tasks, rules, check, 6, watch=watch)


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
    rules = [rule('status', 'GET', '^/v1/clusters/%s$' % shared.name, status=503, times=2),
             rule('reset', 'GET', '^/v1/certificates/%s' % cluster.id)]
    watch = staged([(logged('GET', '^/v1/certificates/%s' % cluster.id, status=200),
                     [rule('latency', 'POST', '^/v1/certificates$', seconds=3)])])
    run_case(runner, report, dict(id='K1', module='magnum_cluster_config', path='sign',
                                  fault='503 twice on the lookup; a reset on the CA read; 3 s latency on the '
                                        'signing POST'),
             [config_task(shared.name, dest)], rules, _working_kubeconfig(os.path.join(dest, 'config')), 4,
             watch=watch)


def test_cluster_config_lost_response(runner, report, cloud, shared, tmp_path):
    cluster = shared.ready()
    dest = str(tmp_path / 'kube')
    watch = staged([(logged('GET', '^/v1/certificates/%s' % cluster.id, status=200),
                     [rule('lost_response', 'POST', '^/v1/certificates$')])])
    run_case(runner, report, dict(id='K2', module='magnum_cluster_config', path='sign',
                                  fault='lost response on the signing POST'),
             [config_task(shared.name, dest)], [], _working_kubeconfig(os.path.join(dest, 'config')), 1,
             watch=watch)


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
    stack = re.escape(shared.ready().stack_id)
    rules = [rule('status', 'GET', '^/v1/clusters/%s$' % shared.name, status=503, times=2),
             rule('reset', 'GET', stack, service=HEAT)]
    watch = staged([(logged('GET', stack, status=200, service=HEAT),
                     [rule('latency', 'POST', '^/v2.0/security-group-rules$', service=NEUTRON, seconds=3)])])
    run_case(runner, report, dict(id='P1', module='magnum_cluster_ports', path='rule create',
                                  fault='503 twice on the cluster lookup; a reset on the read of its Heat stack; '
                                        '3 s latency on the rule POST'),
             [ports_task(shared.name, 8081)], rules, _one_rule(cloud, 8081), 4, watch=watch)


def test_cluster_ports_lost_response(runner, report, cloud, shared):
    stack = re.escape(shared.ready().stack_id)
    watch = staged([(logged('GET', stack, status=200, service=HEAT),
                     [rule('lost_response', 'POST', '^/v2.0/security-group-rules$', service=NEUTRON)])])
    run_case(runner, report, dict(id='P2', module='magnum_cluster_ports', path='rule create',
                                  fault='lost response on the rule POST: Neutron made the rule'),
             [ports_task(shared.name, 8082)], [], lambda run: None, 1, watch=watch)
    # Checked after a converged run, whose result names the groups whichever way the first run ended.
    converged = runner.run([ports_task(shared.name, 8082)])
    assert converged.returncode == 0 and converged.result('ports')['changed'] is False, converged.output[-2000:]
    _one_rule(cloud, 8082)(converged)
