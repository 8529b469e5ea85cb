# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils import retry
from ansible_collections.coe.magnum.plugins.module_utils.cluster import watch
from ansible_collections.coe.magnum.plugins.modules.magnum_cluster import ClusterModule
from ansible_collections.coe.magnum.tests.unit import cluster_fakes
from ansible_collections.coe.magnum.tests.unit.cluster_fakes import ClusterCloud
from ansible_collections.coe.magnum.tests.unit.fakes import run_module

MUTATING = ('POST', 'PATCH', 'DELETE')


@pytest.fixture
def clock(clock, monkeypatch):
    """The shared fake clock, put in place of the time the code under test reads."""
    monkeypatch.setattr(watch, 'time', clock)
    monkeypatch.setattr(retry, 'time', clock)
    return clock


@pytest.fixture
def cloud(clock):
    return ClusterCloud(clock)


def old_cloud(clock, version):
    return ClusterCloud(clock, max_version=version)


def run(cloud, check_mode=False, **args):
    args.setdefault('name', 'k8s-cluster')
    if args.get('state', 'present') == 'present':
        args.setdefault('cluster_template', 'k8s')
    return run_module(ClusterModule, args, cloud, check_mode=check_mode, diff=True)


def requests_since(cloud, start):
    return cloud.http.requests[start:]


def mutating_since(cloud, start):
    return [r for r in requests_since(cloud, start) if r[0] in MUTATING]


def created(cloud, **args):
    result, failed = run(cloud, **args)
    assert not failed, result
    return result


# Create
def test_create_waits_until_complete_and_records_the_statuses(cloud, clock):
    started = clock.now
    result = created(cloud, master_count=1, node_count=2)
    assert result['changed'] and result['actions'] == ['create']
    assert result['cluster']['status'] == 'CREATE_COMPLETE' and result['cluster']['node_count'] == 2
    statuses = [entry['status'] for entry in result['status_history']]
    # The new UUID is unknown for a moment: a pending state, not a failure.
    assert statuses == ['NOT_FOUND', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE']
    assert all(entry['phase'] == 'create' for entry in result['status_history'])
    assert clock.now - started < cloud.http.work_seconds + 10
    assert cloud.http.count('POST') == 1


def test_create_request_carries_every_field_given(cloud):
    created(cloud, master_count=3, node_count=2, flavor='io.70GB', master_flavor='m1.small', keypair='default',
            docker_volume_size=20, fixed_network='private', fixed_subnet='private-subnet',
            floating_ip_enabled=False, master_lb_enabled=True, discovery_url='https://discovery.etcd.io/x',
            create_timeout=90, labels={'boot_volume_size': 10})
    (record,) = cloud.http.clusters()
    assert record['master_count'] == 3 and record['flavor_id'] == 'io.70GB' and record['create_timeout'] == 90
    assert record['fixed_subnet'] == 'private-subnet' and record['master_lb_enabled'] is True
    assert record['floating_ip_enabled'] is False and record['labels'] == {'boot_volume_size': '10'}


def test_rerun_changes_nothing_with_two_reads(cloud):
    created(cloud, node_count=2, flavor='m1.small', labels={'cinder_csi_enabled': True})
    start = len(cloud.http.requests)
    result = created(cloud, node_count=2, flavor='m1.small', labels={'cinder_csi_enabled': True})
    assert not result['changed'] and result['actions'] == []
    assert requests_since(cloud, start) == [('GET', '/clusters/k8s-cluster', '1.1'),
                                            ('GET', '/clustertemplates/k8s', '1.1')]
    assert result['diff']['before'] == result['diff']['after']


def test_rerun_with_the_template_id_reads_only_the_cluster(cloud):
    created(cloud, node_count=2)
    start = len(cloud.http.requests)
    result = created(cloud, node_count=2, cluster_template=cloud.template['uuid'])
    assert not result['changed']
    assert requests_since(cloud, start) == [('GET', '/clusters/k8s-cluster', '1.1')]


def test_another_template_id_is_still_looked_up_and_refused_without_allow_upgrade(cloud):
    created(cloud)
    result, failed = run(cloud, cluster_template='0f3c7c54-5bd4-4fb4-b6b8-d0d4e4a4e3a4')
    assert failed and 'cluster_template' in result['msg']
    assert cloud.http.count('PATCH') == 0 and cloud.http.count('POST') == 1


def test_template_by_id_or_name_never_duplicates(cloud):
    created(cloud, cluster_template='k8s')
    result = created(cloud, cluster_template=cloud.template['uuid'])
    assert not result['changed']
    result = created(cloud, name=result['id'], cluster_template='k8s')
    assert not result['changed']
    assert len(cloud.http.clusters()) == 1


def test_labels_omitted_take_the_template_labels_and_merge_adds_to_them(cloud):
    created(cloud)
    assert cloud.http.clusters()[0]['labels'] == {'kube_tag': 'v1.29.0'}
    created(cloud, name='merged', labels={'cinder_csi_enabled': True}, merge_labels=True)
    merged = [c for c in cloud.http.clusters() if c['name'] == 'merged'][0]
    assert merged['labels'] == {'kube_tag': 'v1.29.0', 'cinder_csi_enabled': 'true'}
    result = created(cloud, name='merged', labels={'cinder_csi_enabled': 'true'}, merge_labels=True)
    assert not result['changed']


def test_check_mode_predicts_the_create_without_requests_that_change(cloud):
    result, failed = run(cloud, check_mode=True, node_count=3, labels={'a': 1}, merge_labels=True)
    assert not failed and result['changed'] and result['actions'] == ['create']
    assert mutating_since(cloud, 0) == [] and cloud.http.clusters() == []
    assert result['diff']['before'] == {}
    after = result['diff']['after']
    assert after['node_count'] == 3 and after['labels'] == {'kube_tag': 'v1.29.0', 'a': '1'}
    assert after['cluster_template_id'] == cloud.template['uuid'] and after['flavor_id'] == 'm1.small'


# Autoscaling
def test_autoscaled_cluster_keeps_its_count_inside_the_range_and_reports_the_drift(cloud):
    created(cloud, node_count=2, labels={'auto_scaling_enabled': 'true'}, merge_labels=True)
    record = cloud.http.collections['clusters'][cloud.http.clusters()[0]['uuid']]
    record['node_count'] = 4  # the autoscaler grew it
    record['_group_fields'] = {'default-worker': dict(min_node_count=1, max_node_count=5)}
    start = len(cloud.http.requests)
    result = created(cloud, node_count=2, labels={'auto_scaling_enabled': 'true'}, merge_labels=True)
    assert not result['changed'] and mutating_since(cloud, start) == []
    assert result['drift']['node_count'] == dict(current=4, wanted=2, min_node_count=1, max_node_count=5,
                                                 nodegroup='default-worker')
    assert result['warnings'][0].startswith("Node group 'default-worker' of cluster 'k8s-cluster' (%s) has 4 nodes "
                                            "where the task asks for 2" % result['id'])
    forced = created(cloud, node_count=2, labels={'auto_scaling_enabled': 'true'}, merge_labels=True,
                     force_node_count=True)
    assert forced['changed'] and forced['actions'] == ['resize'] and forced['cluster']['node_count'] == 2


def test_count_outside_the_autoscaling_range_is_set(cloud):
    created(cloud, node_count=2)
    record = cloud.http.collections['clusters'][cloud.http.clusters()[0]['uuid']]
    record['_group_fields'] = {'default-worker': dict(min_node_count=3, max_node_count=5)}
    result = created(cloud, node_count=4)
    assert result['changed'] and result['actions'] == ['resize'] and 'drift' not in result


# Health
def test_wait_healthy_waits_past_complete_for_magnums_health_sync(cloud, clock):
    result = created(cloud, wait_healthy=True)
    assert result['cluster']['health_status'] == 'HEALTHY'
    assert result['cluster']['health_status_reason']['api'] == 'ok'
    phases = [(entry['phase'], entry['status']) for entry in result['status_history']]
    assert ('create', 'CREATE_COMPLETE') in phases and phases[-1] == ('health', 'HEALTHY')
    assert ('health', 'UNKNOWN') in phases
    # A converged re-run finds it healthy at once.
    again = created(cloud, wait_healthy=True)
    assert not again['changed'] and [e['phase'] for e in again['status_history']] == ['health']


def test_wait_healthy_fails_after_its_own_timeout_with_the_health_seen(cloud, clock):
    created(cloud, labels={'localcloud_unhealthy': 'true'})
    clock.sleep(120)
    started = clock.now
    result, failed = run(cloud, labels={'localcloud_unhealthy': 'true'}, wait_healthy=True, healthy_timeout=30)
    assert failed and 'to be HEALTHY' in result['msg'] and 'health_status UNHEALTHY' in result['msg']
    assert result['health_status'] == 'UNHEALTHY' and 30 <= clock.now - started < 45


def test_without_wait_healthy_a_complete_cluster_is_enough(cloud):
    result = created(cloud)
    assert 'health' not in [entry['phase'] for entry in result['status_history']]


def test_a_negative_healthy_timeout_is_refused_by_name(cloud):
    result, failed = run(cloud, wait_healthy=True, healthy_timeout=-1)
    assert failed and '`healthy_timeout`' in result['msg'] and cloud.http.count('POST') == 0


def test_wait_false_returns_at_once_and_a_later_run_waits(cloud, clock):
    started = clock.now
    result = created(cloud, wait=False)
    assert result['changed'] and result['cluster']['status'] == 'CREATE_IN_PROGRESS' and result['id']
    # Only until Magnum has stored the cluster, so the next run finds it.
    assert clock.now - started < 10
    result = created(cloud)
    assert not result['changed'] and result['cluster']['status'] == 'CREATE_COMPLETE'
    assert [e['phase'] for e in result['status_history']] == ['settle', 'settle']


def test_progress_says_whether_magnum_is_still_at_work(cloud):
    assert created(cloud, wait=False)['progress'] == 'in_progress'
    assert created(cloud)['progress'] == 'complete'


def test_a_later_run_without_wait_reports_the_create_under_way(cloud):
    created(cloud, wait=False)
    result = created(cloud, wait=False)
    assert not result['changed']


def test_lost_create_response_makes_exactly_one_cluster(cloud):
    cloud.http.fault('POST', '/clusters', after_acting=True)
    result = created(cloud)
    assert result['changed'] and result['cluster']['status'] == 'CREATE_COMPLETE'
    assert cloud.http.count('POST', '/clusters') == 1
    assert len(cloud.http.clusters()) == 1


def test_a_5xx_on_create_is_never_sent_again_in_the_run(cloud, clock):
    """A 503 may come from a proxy in front of a Magnum that has accepted the create: it is in flight."""
    cloud.http.fault('POST', '/clusters', status=503)
    result, failed = run(cloud, timeout=120)
    assert failed and result['in_flight'] and 'may still be queued' in result['msg']
    assert result['msg'].startswith("Failed to create cluster 'k8s-cluster': ")
    assert "the cluster did not appear within the task's timeout" in result['msg']
    assert cloud.http.count('POST', '/clusters') == 1 and cloud.http.clusters() == []
    assert 120 <= clock.now - 1000.0 <= 125, clock.now  # looked for by name for the whole wait, not longer


def test_a_refused_connection_on_create_is_sent_again(cloud):
    """A connection that never opened carried no request: the create is sent again."""
    refused = cluster_fakes.ConnectFailure('Unable to establish connection to http://magnum/v1/clusters: '
                                           '[Errno 111] Connection refused')
    cloud.http.fault('POST', '/clusters', error=refused)
    result = created(cloud)
    assert result['changed'] and cloud.http.count('POST', '/clusters') == 2
    assert len(cloud.http.clusters()) == 1


@pytest.fixture
def journal(tmp_path, monkeypatch):
    """The module's create journal in a test directory (the fakes have no cloud config of their own)."""
    from ansible_collections.coe.magnum.plugins.module_utils.create_journal import CreateJournal
    made = CreateJournal(str(tmp_path / 'journal'), 'cloud', 'project')
    monkeypatch.setattr(CreateJournal, 'for_connection', classmethod(lambda cls, connection, warn=None: made))
    return made


@pytest.mark.parametrize('wait', [True, False])
def test_lost_create_answer_with_a_slow_conductor_makes_one_cluster(clock, journal, wait):
    """The conductor writes the row 5 minutes after the create; the answer was lost."""
    cloud = ClusterCloud(clock, visible_after=300)
    cloud.http.fault('POST', '/clusters', after_acting=True)
    result, failed = run(cloud, wait=wait)
    if wait:
        assert not failed and result['changed'] and result['cluster']['status'] == 'CREATE_COMPLETE'
    else:
        assert failed and result['in_flight'] and 'may still be queued' in result['msg'], result
        assert 'the cluster did not appear within 60 seconds (wait: false)' in result['msg']
        assert journal.path('cluster', 'k8s-cluster') in result['msg']
        entry = journal.pending('cluster', 'k8s-cluster')
        assert entry['id'] is None and entry['expires'] - entry['sent'] == 3600  # Magnum's create timeout
        # The re-run finds the create in the journal: it waits for it by name instead of sending another.
        result = created(cloud, wait=True)
        assert result['cluster']['status'] == 'CREATE_COMPLETE'
        assert 'still in flight' in ' '.join(result.get('warnings', []))
    assert cloud.http.count('POST', '/clusters') == 1 and len(cloud.http.clusters()) == 1
    assert journal.pending('cluster', 'k8s-cluster') is None  # forgotten once the row was seen


def test_an_accepted_create_is_waited_for_by_its_id_however_late(clock, journal):
    cloud = ClusterCloud(clock, visible_after=900)
    result = created(cloud, timeout=1800)
    assert result['changed'] and result['cluster']['status'] == 'CREATE_COMPLETE'
    assert cloud.http.count('POST', '/clusters') == 1


def test_without_wait_an_accepted_create_not_yet_written_is_reported_in_flight(clock, journal):
    cloud = ClusterCloud(clock, visible_after=900)
    result = created(cloud, wait=False)
    assert result['changed'] and result['in_flight'] and result['id']
    assert 'queued' in ' '.join(result['warnings'])
    assert journal.pending('cluster', 'k8s-cluster')['id'] == result['id']
    # A re-run before the row exists waits for that ID; it sends nothing.
    result = created(cloud, timeout=1800)
    assert result['id'] and cloud.http.count('POST', '/clusters') == 1 and len(cloud.http.clusters()) == 1


def test_a_definite_refusal_of_the_create_clears_the_journal(cloud, journal):
    cloud.http.fault('POST', '/clusters', status=400)
    result, failed = run(cloud)
    assert failed and not result.get('in_flight')
    assert journal.pending('cluster', 'k8s-cluster') is None


def test_transient_read_errors_are_retried(cloud):
    created(cloud)
    cloud.http.fault('GET', '/clusters/k8s-cluster', status=503, times=2)
    result = created(cloud)
    assert not result['changed']
    assert cloud.http.count('GET', '/clusters/k8s-cluster') == 4


def test_create_failure_ends_the_wait_at_once_with_the_reason_and_faults(cloud, clock):
    started = clock.now
    result, failed = run(cloud, labels={'localcloud_fail': 'create'})
    assert failed
    assert 'CREATE_FAILED' in result['msg'] and 'localcloud_fail=create' in result['msg']
    assert 'default-worker: node failed to create' in result['msg']
    assert result['status_history'][-1]['status'] == 'CREATE_FAILED'
    assert clock.now - started < cloud.http.work_seconds + 10


def test_timeout_names_the_last_status_and_the_time_waited(clock):
    cloud = ClusterCloud(clock, work_seconds=600)
    result, failed = run(cloud, timeout=30)
    assert failed
    assert 'Timed out after 30 seconds' in result['msg'] and 'CREATE_IN_PROGRESS' in result['msg']
    assert result['waited_seconds'] == 30


def test_a_cluster_whose_row_comes_late_is_waited_for_within_the_timeout(clock):
    cloud = ClusterCloud(clock, visible_after=600)
    result, failed = run(cloud, timeout=300)
    assert failed and 'Timed out after 300 seconds' in result['msg'] and 'NOT_FOUND' in result['msg']
    assert cloud.http.count('POST', '/clusters') == 1


# Failed clusters
def test_failed_cluster_is_reported_with_its_reason(cloud):
    cloud.http.add_cluster('k8s-cluster', cloud.template, status='CREATE_FAILED', status_reason='Quota exceeded',
                           faults={'default-master': 'No valid host'})
    result, failed = run(cloud)
    assert failed and 'Quota exceeded' in result['msg'] and 'No valid host' in result['msg']
    assert 'recreate_failed' in result['msg'] and mutating_since(cloud, 0) == []


def test_recreate_failed_deletes_and_creates_again(cloud):
    old = cloud.http.add_cluster('k8s-cluster', cloud.template, status='CREATE_FAILED', status_reason='Quota')
    result = created(cloud, recreate_failed=True)
    assert result['changed'] and result['actions'] == ['delete', 'create']
    (record,) = cloud.http.clusters()
    assert record['uuid'] != old['uuid'] and record['status'] == 'CREATE_COMPLETE'
    assert [e['phase'] for e in result['status_history']][0] == 'delete'
    assert cloud.http.events == [('delete', 'k8s-cluster'), ('create', 'k8s-cluster')]


# Scaling
def test_resize_uses_the_action_at_its_version(cloud):
    created(cloud, node_count=1)
    start = len(cloud.http.requests)
    result = created(cloud, node_count=3)
    assert result['changed'] and result['actions'] == ['resize']
    assert result['cluster']['node_count'] == 3 and result['cluster']['status'] == 'UPDATE_COMPLETE'
    posts = mutating_since(cloud, start)
    assert posts == [('POST', '/clusters/%s/actions/resize' % result['id'], '1.7')]
    # The stale status right after the request does not end the wait early.
    assert 'UPDATE_IN_PROGRESS' in [e['status'] for e in result['status_history']]


def test_shrink_removes_the_nodes_given(cloud):
    created(cloud, node_count=3)
    bodies = []
    original = cloud.http.json_request

    def spy(method, url, body=None, **kwargs):
        if url.endswith('/actions/resize'):
            bodies.append(body)
        return original(method, url, body=body, **kwargs)
    cloud.http.json_request = spy
    created(cloud, node_count=2, nodes_to_remove=['node-2'])
    assert bodies == [{'node_count': 2, 'nodes_to_remove': ['node-2']}]


def test_a_lost_answer_to_a_resize_is_confirmed_from_the_cluster_and_not_sent_again(cloud):
    record = created(cloud, node_count=1)
    cloud.http.fault('POST', '/clusters/%s/actions/resize' % record['id'], after_acting=True)
    result = created(cloud, node_count=3)
    assert result['changed'] and result['actions'] == ['resize'] and result['cluster']['node_count'] == 3
    assert cloud.http.count('POST', '/clusters/%s/actions/resize' % record['id']) == 1


@pytest.mark.parametrize('before, wanted', [(1, 3), (3, 1)], ids=['grow', 'shrink'])
def test_a_resize_magnum_never_carried_out_fails_with_the_lost_answer_once_the_settle_time_is_over(
        cloud, clock, before, wanted):
    record = created(cloud, node_count=before)
    cloud.http.fault('POST', '/clusters/%s/actions/resize' % record['id'], status=503)
    started = clock.now
    result, failed = run(cloud, node_count=wanted)
    # The cluster read again shows neither the new size nor an operation under way: the error stands.
    assert failed and 'Injected fault' in result['msg'] and 'Timed out' not in result['msg'], result['msg']
    assert clock.now - started == 30  # Magnum's conductor is given 30 seconds to show a change
    assert cloud.http.clusters()[0]['node_count'] == before


def test_an_upgrade_answer_lost_after_magnum_finished_it_is_confirmed_by_the_template(clock):
    cloud = ClusterCloud(clock, work_seconds=1)
    record = created(cloud)
    cloud.http.fault('POST', '/clusters/%s/actions/upgrade' % record['id'], after_acting=True)
    result = created(cloud, cluster_template='k8s-new', allow_upgrade=True)
    assert result['changed'] and result['cluster']['cluster_template_id'] == cloud.new_template['uuid']
    assert cloud.http.count('POST', '/clusters/%s/actions/upgrade' % record['id']) == 1


def test_old_api_scales_with_a_node_count_patch(clock):
    cloud = old_cloud(clock, '1.4')
    created(cloud, node_count=1)
    start = len(cloud.http.requests)
    result = created(cloud, node_count=2)
    assert result['changed'] and result['actions'] == ['patch'] and result['cluster']['node_count'] == 2
    assert [r[:2] for r in mutating_since(cloud, start)] == [('PATCH', '/clusters/%s' % result['id'])]


def test_old_api_refuses_what_only_the_resize_action_can_do(clock):
    cloud = old_cloud(clock, '1.4')
    created(cloud, node_count=2)
    result, failed = run(cloud, node_count=1, nodes_to_remove=['node-1'])
    assert failed and '`nodes_to_remove`' in result['msg'] and '1.7' in result['msg']


@pytest.mark.parametrize('version, allowed', [('1.9', False), ('1.10', True)])
def test_zero_nodes_only_where_the_api_allows_it(clock, version, allowed):
    cloud = old_cloud(clock, version)
    created(cloud, node_count=1)
    start = len(cloud.http.requests)
    result, failed = run(cloud, node_count=0)
    assert failed != allowed, result
    if allowed:
        assert mutating_since(cloud, start)[0][2] == '1.10'
    else:
        assert '1.10' in result['msg'] and mutating_since(cloud, start) == []


def test_zero_nodes_at_create_needs_the_newer_api(clock):
    result, failed = run(old_cloud(clock, '1.9'), node_count=0)
    assert failed and 'node_count of 0' in result['msg']


def test_nodegroup_resize_compares_the_group_size(cloud):
    created(cloud, node_count=2)
    result = created(cloud, node_count=2, nodegroup='default-worker')
    assert not result['changed']
    result, failed = run(cloud, node_count=2, nodegroup='gpu')
    assert failed and "node group 'gpu'" in result['msg'] and '`nodegroup`' in result['msg']


def test_check_mode_predicts_a_resize_without_requests_that_change(cloud):
    created(cloud, node_count=1)
    start = len(cloud.http.requests)
    result, failed = run(cloud, check_mode=True, node_count=4)
    assert not failed and result['changed'] and result['actions'] == ['resize']
    assert result['diff']['before']['node_count'] == 1 and result['diff']['after']['node_count'] == 4
    assert mutating_since(cloud, start) == []


# Upgrade
def test_a_different_template_is_refused_without_the_upgrade_opt_in(cloud):
    created(cloud)
    start = len(cloud.http.requests)
    result, failed = run(cloud, cluster_template='k8s-new')
    assert failed and 'cluster_template' in result['msg'] and 'allow_upgrade' in result['msg']
    assert [d['parameter'] for d in result['differences']] == ['cluster_template']
    assert mutating_since(cloud, start) == []


def test_upgrade_with_the_opt_in(cloud):
    created(cloud)
    start = len(cloud.http.requests)
    result = created(cloud, cluster_template='k8s-new', allow_upgrade=True, max_batch_size=2)
    assert result['changed'] and result['actions'] == ['upgrade']
    assert result['cluster']['cluster_template_id'] == cloud.new_template['uuid']
    assert mutating_since(cloud, start) == [('POST', '/clusters/%s/actions/upgrade' % result['id'], '1.8')]
    assert not created(cloud, cluster_template='k8s-new')['changed']


def test_upgrade_without_a_batch_size_sends_the_clis_default_of_one(cloud):
    created(cloud)
    result = created(cloud, cluster_template='k8s-new', allow_upgrade=True)
    assert result['changed'] and result['actions'] == ['upgrade']
    upgrade = [body for method, url, body in cloud.http.bodies if url.endswith('/actions/upgrade')]
    assert upgrade == [dict(cluster_template=cloud.new_template['uuid'], max_batch_size=1)]
    assert result['cluster']['coe_version'] == 'v1.30.4' and 'warnings' not in result


def test_upgrade_that_keeps_the_template_reference_is_reported_and_not_sent_again(cloud):
    created(cloud, labels={'kube_tag': 'v1.29.0', 'localcloud_keep_template_id': 'true'})
    result = created(cloud, cluster_template='k8s-new', allow_upgrade=True)
    assert result['changed'] and result['cluster']['coe_version'] == 'v1.30.4'
    assert result['cluster']['cluster_template_id'] == cloud.template['uuid']
    assert any('cluster_template_id is %s, not %s' % (cloud.template['uuid'], cloud.new_template['uuid']) in warning
               for warning in result['warnings'])
    start = len(cloud.http.requests)
    again = created(cloud, cluster_template='k8s-new', allow_upgrade=True)
    assert not again['changed'] and mutating_since(cloud, start) == []
    assert 'coe_version v1.30.4' in again['warnings'][0] and 'No upgrade is sent again' in again['warnings'][0]


def test_upgrade_names_node_groups_left_on_the_old_version(cloud):
    record = created(cloud)
    cloud.http.collections['clusters'][record['id']]['_groups'] = [
        dict(uuid='ng-1', name='gpu', role='worker', is_default=False, node_count=1, version='v1.29.0',
             labels={'kube_tag': 'v1.29.0'})]
    result = created(cloud, cluster_template='k8s-new', allow_upgrade=True)
    assert result['warnings'] == ["Node groups of cluster 'k8s-cluster' that do not run v1.30.4 after the upgrade: "
                                  "gpu (v1.29.0). Upgrade each with the `nodegroup` option."]
    start = len(cloud.http.requests)
    group = created(cloud, cluster_template='k8s-new', allow_upgrade=True, nodegroup='gpu', max_batch_size=2)
    assert group['changed'] and group['actions'] == ['upgrade'] and 'warnings' not in group
    assert mutating_since(cloud, start) == [('POST', '/clusters/%s/actions/upgrade' % record['id'], '1.9')]
    assert [body for method, url, body in cloud.http.bodies if url.endswith('/actions/upgrade')][-1] == dict(
        cluster_template=cloud.new_template['uuid'], max_batch_size=2, nodegroup='gpu')
    assert not created(cloud, cluster_template='k8s-new', allow_upgrade=True, nodegroup='gpu')['changed']


def test_upgrade_and_resize_in_one_task_wait_in_between(cloud):
    created(cloud, node_count=1)
    result = created(cloud, cluster_template='k8s-new', allow_upgrade=True, node_count=2, wait=False)
    assert result['actions'] == ['upgrade', 'resize']
    assert cloud.http.events[-2:] == [('update', 'k8s-cluster'), ('update', 'k8s-cluster')]
    upgrade = [e['status'] for e in result['status_history'] if e['phase'] == 'upgrade']
    resize = [e['status'] for e in result['status_history'] if e['phase'] == 'resize']
    # The resize is sent once the upgrade is over, and the task returns once the resize is under way.
    assert upgrade[-1] == 'UPDATE_COMPLETE' and resize[-1] == 'UPDATE_IN_PROGRESS'


@pytest.mark.parametrize('change,shown', [
    (dict(node_count=2), dict(node_count=2)),
    (dict(cluster_template='k8s-new', allow_upgrade=True), dict(coe_version='v1.30.4')),
], ids=['resize', 'upgrade'])
def test_a_health_sync_save_before_the_conductor_is_not_taken_for_the_outcome(cloud, change, shown):
    created(cloud, node_count=1)
    cloud.http.health_sync_before_conductor = True
    result = created(cloud, **change)
    assert [e['status'] for e in result['status_history']][-2:] == ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE']
    assert dict((field, result['cluster'][field]) for field in shown) == shown
    assert not created(cloud, **change)['changed']


def test_upgrade_needs_api_1_8(clock):
    cloud = old_cloud(clock, '1.7')
    created(cloud)
    result, failed = run(cloud, cluster_template='k8s-new', allow_upgrade=True)
    assert failed and '1.8' in result['msg']


# Fields Magnum cannot change
def test_fixed_fields_are_refused_listing_current_and_wanted(cloud):
    created(cloud, master_count=1)
    start = len(cloud.http.requests)
    result, failed = run(cloud, master_count=3, flavor='io.70GB', labels={'kube_tag': 'v1.30.4'})
    assert failed and 'recreate: true' in result['msg']
    assert sorted(d['parameter'] for d in result['differences']) == ['flavor', 'labels', 'master_count']
    assert "master_count (current 1, wanted 3)" in result['msg']
    assert mutating_since(cloud, start) == []


def test_flavor_given_by_id_matches_the_name_stored(cloud):
    created(cloud, flavor='m1.small')
    assert not created(cloud, flavor='fl-small')['changed']


def test_recreate_replaces_the_cluster(cloud):
    first = created(cloud, master_count=1)
    result = created(cloud, master_count=3, recreate=True)
    assert result['actions'] == ['delete', 'create'] and result['id'] != first['id']
    (record,) = cloud.http.clusters()
    assert record['master_count'] == 3


def test_bad_references_fail_before_anything_changes(cloud):
    created(cloud)
    start = len(cloud.http.requests)
    result, failed = run(cloud, master_count=3, flavor='m1.huge', recreate=True)
    assert failed and '`flavor`' in result['msg']
    assert mutating_since(cloud, start) == []


@pytest.mark.parametrize('option, value', [('master_count', 0), ('node_count', -1), ('docker_volume_size', 0),
                                           ('create_timeout', -5), ('max_batch_size', 0)])
def test_bad_numbers_name_the_option(cloud, option, value):
    result, failed = run(cloud, **{option: value})
    assert failed and '`%s`' % option in result['msg'] and cloud.http.requests == []


def test_labels_must_be_scalars(cloud):
    result, failed = run(cloud, labels={'nested': {'a': 1}})
    assert failed and "Label 'nested'" in result['msg']


# Busy clusters
def test_a_change_waits_for_an_operation_under_way(cloud):
    created(cloud, wait=False)
    result = created(cloud, node_count=2)
    assert result['actions'] == ['resize'] and result['cluster']['node_count'] == 2
    assert result['status_history'][0]['phase'] == 'settle'


def test_a_change_to_a_busy_cluster_without_wait_fails(cloud):
    created(cloud, wait=False)
    result, failed = run(cloud, node_count=2, wait=False)
    assert failed and 'CREATE_IN_PROGRESS' in result['msg']


def test_a_cluster_being_deleted_is_created_again_once_gone(cloud):
    created(cloud)
    run(cloud, state='absent', wait=False)
    result = created(cloud)
    assert result['changed'] and result['actions'] == ['create']
    assert len(cloud.http.clusters()) == 1 and cloud.http.clusters()[0]['status'] == 'CREATE_COMPLETE'


# Lookups
def test_duplicate_names_are_reported_not_guessed(cloud):
    cloud.http.add_cluster('k8s-cluster', cloud.template)
    cloud.http.add_cluster('k8s-cluster', cloud.template)
    result, failed = run(cloud)
    assert failed and 'Several clusters' in result['msg']


def test_an_unknown_id_is_not_a_name_to_create(cloud):
    result, failed = run(cloud, name='3a4f28a6-9c1e-4d0e-a1a4-6a5e0b9f1c2d')
    assert failed and mutating_since(cloud, 0) == []
    assert result['msg'] == ('No cluster has the ID 3a4f28a6-9c1e-4d0e-a1a4-6a5e0b9f1c2d; give a name (`name`) to '
                             'create a cluster.')


def test_an_unknown_template_is_named(cloud):
    result, failed = run(cloud, cluster_template='nope')
    assert failed and '`cluster_template`' in result['msg']


# Delete
def test_delete_waits_until_gone_then_again_changes_nothing(cloud):
    created(cloud)
    result = created(cloud, state='absent')
    assert result['changed'] and result['actions'] == [] and result['id']
    assert cloud.http.clusters() == []
    assert result['status_history'][-1]['status'] == 'NOT_FOUND'
    start = len(cloud.http.requests)
    result = created(cloud, state='absent')
    assert not result['changed'] and mutating_since(cloud, start) == []


def test_delete_failure_is_reported_with_its_reason(cloud):
    created(cloud, labels={'localcloud_fail': 'delete'})
    result, failed = run(cloud, state='absent')
    assert failed and 'DELETE_FAILED' in result['msg'] and 'localcloud_fail=delete' in result['msg']


def test_delete_failure_reports_magnums_faults(cloud):
    created(cloud, labels={'localcloud_fail': 'delete'})
    result, failed = run(cloud, state='absent')
    assert failed and result['status'] == 'DELETE_FAILED'
    assert result['faults'] == {'default-worker': 'node failed to delete'}
    assert 'faults: default-worker: node failed to delete' in result['msg']
    assert [e['status'] for e in result['status_history']][-1] == 'DELETE_FAILED'


def test_delete_retries_sends_the_delete_again_after_delete_failed(cloud):
    created(cloud, labels={'localcloud_fail': 'delete'})
    start = len(cloud.http.requests)
    result = created(cloud, state='absent', delete_retries=1)
    # The first delete is the state change; each delete sent again is an action of its own.
    assert result['changed'] and result['actions'] == ['delete']
    assert [m for m, _u, _v in mutating_since(cloud, start)] == ['DELETE', 'DELETE']
    assert result['warnings'] == [
        "Cluster 'k8s-cluster' (%s) is DELETE_FAILED after the delete: localcloud_fail=delete; faults: default-worker: "
        "node failed to delete; deleting it again (delete_retries)." % result['id']]
    assert cloud.http.clusters() == []


def test_delete_retries_wait_past_a_health_sync_save_of_the_failed_cluster(cloud):
    created(cloud, labels={'localcloud_fail': 'delete'})
    cloud.http.health_sync_before_conductor = True
    result = created(cloud, state='absent', delete_retries=1)
    assert result['changed'] and cloud.http.clusters() == []
    assert [e['status'] for e in result['status_history']][-2:] == ['DELETE_IN_PROGRESS', 'NOT_FOUND']


def test_delete_retries_run_out_with_the_count_in_the_message(cloud):
    created(cloud, labels={'localcloud_fail': 'delete'})
    cloud.http.collections['clusters'][cloud.http.clusters()[0]['uuid']]['status'] = 'CREATE_COMPLETE'
    result, failed = run(cloud, state='absent', delete_retries=0)
    assert failed and '(after' not in result['msg']


def test_check_mode_delete_sends_nothing(cloud):
    created(cloud)
    start = len(cloud.http.requests)
    result, failed = run(cloud, state='absent', check_mode=True)
    assert result['changed'] and mutating_since(cloud, start) == []
    assert result['diff']['after'] == {} and result['diff']['before']['name'] == 'k8s-cluster'


def test_delete_under_way_is_waited_for_without_a_second_delete(cloud):
    created(cloud)
    run(cloud, state='absent', wait=False)
    result = created(cloud, state='absent')
    assert not result['changed'] and cloud.http.count('DELETE') == 1 and cloud.http.clusters() == []


def test_zero_nodes_at_create_are_sent_at_1_10(clock):
    cloud = old_cloud(clock, '1.10')
    result = created(cloud, node_count=0)
    assert result['cluster']['node_count'] == 0
    assert [r for r in cloud.http.requests if r[0] == 'POST'] == [('POST', '/clusters', '1.10')]


def test_a_cluster_gone_before_its_delete_is_what_the_task_wanted(cloud):
    created(cloud)
    # Someone else's delete got there first: Magnum acts on it and answers this one 404.
    cloud.http.fault('DELETE', '/clusters/', status=404, after_acting=True)
    result = created(cloud, state='absent')
    assert result['changed'] and cloud.http.clusters() == []
    assert result['already_deleted'] is True


# What a failure names, and what a lost answer to a delete leaves
@pytest.mark.parametrize('state, path, words', [
    ('present', '/clusters/k8s-cluster', "Failed to look up cluster 'k8s-cluster': "),
    ('absent', '/clusters/k8s-cluster', "Failed to look up cluster 'k8s-cluster': "),
    ('present', '/clustertemplates/k8s', "Failed to look up cluster template 'k8s': "),
    ('present', '/clusters', "Failed to create cluster 'k8s-cluster': "),
])
def test_a_refused_request_names_what_the_task_was_doing(cloud, state, path, words):
    if path == '/clusters':
        cloud.http.fault('POST', path, status=403)
    else:
        cloud.http.fault('GET', path, status=403)
    result, failed = run(cloud, state=state)
    assert failed and result['msg'].startswith(words), result['msg']


def test_a_lost_answer_to_a_delete_is_confirmed_from_the_cluster_and_not_sent_again(cloud):
    record = created(cloud)
    cloud.http.fault('DELETE', '/clusters/%s' % record['id'], after_acting=True)
    result = created(cloud, state='absent')
    assert result['changed'] and cloud.http.clusters() == [] and 'already_deleted' not in result
    assert cloud.http.count('DELETE') == 1


@pytest.mark.parametrize('node_count', [1, 2], ids=['created', 'resized'])
def test_a_delete_magnum_never_carried_out_fails_with_the_lost_answer_once_the_settle_time_is_over(
        cloud, clock, node_count):
    created(cloud, node_count=1)
    created(cloud, node_count=node_count)
    status = cloud.http.clusters()[0]['status']
    cloud.http.fault('DELETE', '/clusters/', status=503)
    started = clock.now
    result, failed = run(cloud, state='absent')
    assert failed and 'Injected fault' in result['msg'] and 'Timed out' not in result['msg'], result['msg']
    assert clock.now - started == 30  # Magnum's conductor is given 30 seconds to show a change
    assert [r['status'] for r in cloud.http.clusters()] == [status]


def test_a_cluster_updated_before_is_deleted_and_a_check_mode_delete_has_no_already_deleted(cloud):
    created(cloud, node_count=1)
    created(cloud, node_count=2)
    assert cloud.http.clusters()[0]['status'] == 'UPDATE_COMPLETE'
    checked = created(cloud, state='absent', check_mode=True)
    assert checked['changed'] and 'already_deleted' not in checked
    result = created(cloud, state='absent', wait=False)
    assert result['changed'] and 'already_deleted' not in result
    assert [e['status'] for e in result['status_history']][-1] == 'DELETE_IN_PROGRESS'


def test_a_change_waits_for_an_update_under_way(cloud):
    created(cloud, node_count=1)
    created(cloud, node_count=2, wait=False)
    result = created(cloud, node_count=2)
    assert not result['changed'] and result['cluster']['status'] == 'UPDATE_COMPLETE'
    assert [e['phase'] for e in result['status_history']][0] == 'settle'


def test_the_default_group_decides_the_size_when_other_groups_add_to_the_count(cloud):
    record = created(cloud, node_count=1)
    stored = cloud.http.collections['clusters'][record['id']]
    # Magnum's cluster node_count sums every worker group: 1 default worker and a group of 2.
    stored['node_count'] = 3
    stored['_group_fields'] = {'default-worker': dict(node_count=1)}
    start = len(cloud.http.requests)
    result = created(cloud, node_count=1)
    assert not result['changed'] and mutating_since(cloud, start) == []
    resized = created(cloud, node_count=2)
    assert resized['changed'] and resized['actions'] == ['resize']


@pytest.mark.parametrize('create_timeout, seconds', [(None, 3600), (90, 5400)])
def test_the_journal_keeps_a_create_in_flight_for_the_creates_own_timeout(clock, journal, create_timeout, seconds):
    cloud = ClusterCloud(clock, visible_after=900)
    result = created(cloud, wait=False, create_timeout=create_timeout)
    assert result['in_flight'] and 'within 60 seconds' in ' '.join(result['warnings'])
    entry = journal.pending('cluster', 'k8s-cluster')
    assert entry['expires'] - entry['sent'] == seconds


def test_a_create_in_the_journal_without_an_id_that_never_appears_is_reported_not_sent(cloud, journal):
    journal.record('cluster', 'k8s-cluster', 3600.0)
    result, failed = run(cloud, timeout=60)
    assert failed and result['in_flight'] and result['msg'].startswith("Cluster 'k8s-cluster' has not appeared")
    assert cloud.http.count('POST', '/clusters') == 0


def test_without_node_groups_the_autoscaled_drift_names_the_cluster(clock):
    cloud = old_cloud(clock, '1.8')
    record = created(cloud, node_count=2, labels={'auto_scaling_enabled': 'true'}, merge_labels=True)
    cloud.http.collections['clusters'][record['id']]['node_count'] = 4
    result = created(cloud, node_count=2, labels={'auto_scaling_enabled': 'true'}, merge_labels=True)
    assert not result['changed'] and result['drift']['node_count']['nodegroup'] is None
    assert result['warnings'][0].startswith("Cluster 'k8s-cluster' (%s) has 4 nodes where the task asks for 2"
                                            % record['id'])


def with_gpu_group(cloud, record, version='v1.29.0'):
    cloud.http.collections['clusters'][record['id']]['_groups'] = [
        dict(uuid='ng-1', name='gpu', role='worker', is_default=False, node_count=1, version=version,
             labels={'kube_tag': version}, status='CREATE_COMPLETE')]


def upgrade_bodies(cloud, start):
    return [body.get('nodegroup') for method, url, body in cloud.http.bodies[start:]
            if url.endswith('/actions/upgrade')]


@pytest.mark.parametrize('cluster_template, actions, upgrades', [
    ('k8s-new', ['upgrade', 'upgrade', 'resize'], [None, 'gpu']),
    (None, ['upgrade', 'resize'], ['gpu']),
], ids=['with-the-cluster', 'group-alone'])
def test_a_group_is_upgraded_after_its_cluster_and_before_it_is_resized(cloud, cluster_template, actions, upgrades):
    record = created(cloud)
    with_gpu_group(cloud, record)
    if cluster_template is None:
        created(cloud, cluster_template='k8s-new', allow_upgrade=True)
    start = len(cloud.http.bodies)
    result = created(cloud, cluster_template='k8s-new', allow_upgrade=True, nodegroup='gpu', node_count=3)
    assert result['actions'] == actions
    assert upgrade_bodies(cloud, start) == upgrades
    kinds = [url.rsplit('/', 1)[-1] for method, url, body in cloud.http.bodies[start:]]
    assert kinds == actions


@pytest.mark.parametrize('status', [403, 409])
def test_a_delete_refused_otherwise_than_404_fails_and_leaves_the_cluster(cloud, status):
    record = created(cloud)
    cloud.http.fault('DELETE', '/clusters/', status=status)
    result, failed = run(cloud, state='absent')
    assert failed and result['msg'].startswith("Failed to delete cluster 'k8s-cluster' (%s): " % record['id'])
    assert '(HTTP %d' % status in result['msg'] and len(cloud.http.clusters()) == 1


def test_a_failure_while_comparing_names_the_comparison(cloud):
    record = created(cloud)
    cloud.http.fault('GET', '/clusters/%s/nodegroups' % record['id'], status=403)
    result, failed = run(cloud, nodegroup='gpu', node_count=2)
    assert failed and result['msg'].startswith(
        "Failed to compare cluster 'k8s-cluster' (%s) with the task: " % record['id']), result['msg']


def test_recreate_with_the_template_given_by_its_id(cloud):
    first = created(cloud, cluster_template=cloud.template['uuid'], master_count=1)
    result = created(cloud, cluster_template=cloud.template['uuid'], master_count=3, recreate=True)
    assert result['actions'] == ['delete', 'create'] and result['id'] != first['id']
    assert cloud.http.clusters()[0]['master_count'] == 3


def test_recreate_with_a_node_group_named_for_upgrades_only_recreates(cloud):
    record = created(cloud, master_count=1)
    with_gpu_group(cloud, record, version='v1.28.0')
    result = created(cloud, master_count=3, recreate=True, allow_upgrade=True, nodegroup='gpu')
    assert result['actions'] == ['delete', 'create'] and cloud.http.clusters()[0]['master_count'] == 3


def test_a_group_behind_the_template_given_by_its_id_is_upgraded_to_it(cloud):
    record = created(cloud)
    with_gpu_group(cloud, record, version='v1.28.0')
    start = len(cloud.http.bodies)
    result = created(cloud, cluster_template=cloud.template['uuid'], allow_upgrade=True, nodegroup='gpu')
    assert result['actions'] == ['upgrade'] and upgrade_bodies(cloud, start) == ['gpu']


def test_a_default_group_behind_its_upgraded_cluster_is_upgraded_on_its_own(cloud):
    record = created(cloud)
    created(cloud, cluster_template='k8s-new', allow_upgrade=True)
    cloud.http.collections['clusters'][record['id']]['_group_fields'] = {'default-worker': dict(version='v1.29.0')}
    start = len(cloud.http.bodies)
    result = created(cloud, cluster_template='k8s-new', allow_upgrade=True, nodegroup='default-worker')
    assert result['actions'] == ['upgrade'] and upgrade_bodies(cloud, start) == ['default-worker']


def test_a_cluster_being_deleted_is_waited_for_before_the_create_and_only_predicted_in_check_mode(cloud, clock):
    created(cloud)
    run(cloud, state='absent', wait=False)
    started = clock.now
    checked = created(cloud, check_mode=True)
    assert checked['changed'] and checked['actions'] == ['create'] and clock.now == started
    result = created(cloud)
    phases = [(e['phase'], e['status']) for e in result['status_history']]
    assert phases[:2] == [('delete', 'DELETE_IN_PROGRESS'), ('delete', 'NOT_FOUND')], phases


def test_a_default_group_below_its_range_is_resized_when_the_clusters_total_is_inside_it(cloud):
    record = created(cloud, node_count=1, labels={'auto_scaling_enabled': 'true'}, merge_labels=True)
    stored = cloud.http.collections['clusters'][record['id']]
    stored['node_count'] = 3  # with another group of 2
    stored['_group_fields'] = {'default-worker': dict(node_count=1, min_node_count=2, max_node_count=5)}
    result = created(cloud, node_count=4, labels={'auto_scaling_enabled': 'true'}, merge_labels=True)
    assert result['changed'] and result['actions'] == ['resize'] and 'drift' not in result


def stubborn_deletes(cloud):
    """Every delete of the cluster fails (the fake, as the local cloud, lets a second delete succeed)."""
    schedule = cloud.http._schedule

    def failing(record, operation):
        # The fake decides from the status at the time of the request whether the delete fails again.
        status = record['status']
        record['status'] = 'DELETE_IN_PROGRESS'
        schedule(record, operation)
        record['status'] = status
    cloud.http._schedule = failing


def test_delete_retries_that_all_fail_say_how_many_deletes_were_sent(clock):
    cloud = ClusterCloud(clock, work_seconds=120)  # long enough for the wait to see each delete under way
    created(cloud, labels={'localcloud_fail': 'delete'})
    stubborn_deletes(cloud)
    result, failed = run(cloud, state='absent', delete_retries=2)
    assert failed and result['msg'].endswith('(after 3 deletes)'), result['msg']
    assert cloud.http.count('DELETE') == 3 and len(cloud.http.clusters()) == 1


def test_a_delete_that_times_out_is_not_sent_again_by_delete_retries(clock):
    cloud = ClusterCloud(clock, work_seconds=600)
    created(cloud, timeout=1200)
    result, failed = run(cloud, state='absent', delete_retries=1, timeout=30)
    assert failed and 'Timed out after 30 seconds' in result['msg'] and '(after' not in result['msg']
    assert cloud.http.count('DELETE') == 1


def test_upgrade_at_1_8_reads_no_node_groups(clock):
    cloud = old_cloud(clock, '1.8')
    created(cloud)
    start = len(cloud.http.requests)
    result = created(cloud, cluster_template='k8s-new', allow_upgrade=True)
    assert result['changed'] and result['cluster']['coe_version'] == 'v1.30.4'
    assert not [url for method, url, version in requests_since(cloud, start) if 'nodegroups' in url]


def test_without_wait_every_step_but_the_last_is_waited_for(cloud):
    record = created(cloud)
    with_gpu_group(cloud, record)
    result = created(cloud, cluster_template='k8s-new', allow_upgrade=True, nodegroup='gpu', node_count=3,
                     wait=False)
    assert result['actions'] == ['upgrade', 'upgrade', 'resize']
    last = {}
    for entry in result['status_history']:
        last[entry['phase']] = entry['status']
    assert last == {'upgrade': 'UPDATE_COMPLETE', 'resize': 'UPDATE_IN_PROGRESS'}


def test_check_mode_predicts_a_recreate_without_requests_that_change(cloud):
    created(cloud, master_count=1)
    start = len(cloud.http.requests)
    result = created(cloud, master_count=3, recreate=True, check_mode=True)
    assert result['changed'] and result['actions'] == ['delete', 'create'] and mutating_since(cloud, start) == []
    assert result['diff']['before']['master_count'] == 1 and result['diff']['after']['master_count'] == 3


@pytest.mark.parametrize('option, value', [('flavor', 'm1.huge'), ('keypair', 'nope'), ('fixed_network', 'nope')])
def test_a_new_cluster_naming_what_does_not_exist_is_refused_before_the_create(cloud, option, value):
    result, failed = run(cloud, **{option: value})
    assert failed and '`%s`' % option in result['msg'] and mutating_since(cloud, 0) == []


def test_a_lost_answer_to_a_delete_is_confirmed_by_the_delete_under_way(clock):
    cloud = ClusterCloud(clock, work_seconds=120)  # still deleting once the 30 seconds of settling are over
    record = created(cloud, timeout=600)
    cloud.http.fault('DELETE', '/clusters/%s' % record['id'], after_acting=True)
    started = clock.now
    result = created(cloud, state='absent')
    assert result['changed'] and cloud.http.clusters() == [] and cloud.http.count('DELETE') == 1
    assert clock.now - started < 130


def test_a_failure_reading_the_node_groups_after_an_upgrade_names_it(cloud):
    record = created(cloud)
    cloud.http.fault('GET', '/clusters/%s/nodegroups' % record['id'], status=403)
    result, failed = run(cloud, cluster_template='k8s-new', allow_upgrade=True)
    assert failed and result['msg'].startswith(
        "Failed to read the node groups of cluster 'k8s-cluster' (%s): " % record['id']), result['msg']


def test_a_lost_create_after_a_delete_is_looked_for_only_for_the_rest_of_the_timeout(cloud, clock):
    created(cloud, master_count=1)
    cloud.http.fault('POST', '/clusters', status=503)
    started = clock.now
    result, failed = run(cloud, master_count=3, recreate=True, timeout=120)
    assert failed and result['in_flight']
    assert 120 <= clock.now - started <= 125, clock.now - started


def test_a_delete_under_way_without_wait_returns_at_once(cloud):
    created(cloud)
    run(cloud, state='absent', wait=False)
    result = created(cloud, state='absent', wait=False)
    assert not result['changed'] and result['status_history'] == []


def test_a_rerun_on_a_cluster_of_300_nodes_reads_no_node_groups(cloud):
    created(cloud, node_count=300)
    start = len(cloud.http.requests)
    result = created(cloud, node_count=300)
    assert not result['changed']
    assert requests_since(cloud, start) == [('GET', '/clusters/k8s-cluster', '1.1'),
                                            ('GET', '/clustertemplates/k8s', '1.1')]
