# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Creates in flight: the answer to the cluster POST is lost while the real magnum-conductor is paused (SIGSTOP),
so the cluster's row appears only once it resumes. Exactly one cluster in every case, and one POST in the log.

These cases pause the shared local cloud's conductor: run them under `flock /tmp/localcloud.lock` (make does not
take the lock for you), and never beside another suite that needs the conductor.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import signal
import subprocess
import threading

import pytest

import support
from support import clusters_named, delete_cluster

PAUSE_SECONDS = 60
# The 5-minute pause: `make faults` runs it (RESILIENCE_LONG=1); too long for every `make test`.
LONG_PAUSE_SECONDS = 300
LONG = os.environ.get('RESILIENCE_LONG') == '1'


def rule(action, method, path, times=1):
    return dict(action=action, method=method, path=path, service='magnum', times=times)


def cluster_task(name, template, task_name='cluster', **extra):
    args = dict(name=name, cluster_template=template, master_count=1, node_count=1, timeout=600)
    args.update(extra)
    return {'name': task_name, 'coe.magnum.magnum_cluster': args}


def posts(requests):
    return [r for r in requests if r['method'] == 'POST' and r['path'] == '/v1/clusters']


@pytest.fixture
def cluster_name(cloud):
    name = support.unique('inflight')
    yield name
    for _attempt in range(3):  # a create released late may add its row after a first delete
        for found in clusters_named(cloud, name):
            delete_cluster(cloud, found.id, wait=True)


def _run_until_posted(runner, task, results, key, window):
    """Run the task in a thread (its run goes into results[key]); return the thread once its create was sent."""
    thread = threading.Thread(target=lambda: results.setdefault(key, runner.run([task])))
    thread.start()
    support.wait_for(lambda: posts(window.requests()), 60, interval=0.5, what='the create request')
    return thread


def _exactly_one(cloud, name, requests):
    found = support.wait_for(lambda: clusters_named(cloud, name), 120, what='cluster %s' % name)
    sent = posts(requests)
    assert len(sent) == 1, 'expected one create request, got %d: %s' % (len(sent), sent)
    # A second create, had one been sent, would show now that the conductor has resumed.
    found = clusters_named(cloud, name)
    assert len(found) == 1, 'expected one cluster %s, found %d' % (name, len(found))
    return found[0]


def _outcome(run):
    if run.returncode == 0:
        warnings = ' '.join(w for r in run.records for w in r['result'].get('warnings', []))
        return 'success' + (' (%s)' % _short(warnings) if warnings else '')
    failed = [r for r in run.records if r['outcome'] == 'failed']
    msg = failed[0]['result'].get('msg', '') if failed else run.output[-500:]
    assert 'Traceback' not in msg and 'MODULE FAILURE' not in run.output, run.output[-3000:]
    return 'clear failure ("%s")' % _short(msg)


def _short(text, limit=200):
    text = ' '.join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + '...'


@pytest.mark.parametrize('pause', [PAUSE_SECONDS] + ([LONG_PAUSE_SECONDS] if LONG else []))
def test_wait_true(runner, report, cloud, shared, cluster_name, pause):
    case = 'F1' if pause == PAUSE_SECONDS else 'F4'
    with support.FaultWindow(runner.proxies, case, [rule('lost_response', 'POST', '^/v1/clusters$')]) as window:
        with support.PausedService('magnum-conductor', pause):
            run = runner.run([cluster_task(cluster_name, shared.template_name, timeout=pause + 300)],
                             timeout=pause + 600)
        requests = window.requests()
    assert run.returncode == 0, run.output[-3000:]
    assert run.result('cluster')['cluster']['status'] == 'CREATE_COMPLETE'
    _exactly_one(cloud, cluster_name, requests)
    report.add(case, 'magnum_cluster', 'create (wait: true)',
               'lost response on the POST; magnum-conductor paused (SIGSTOP) for %d s' % pause,
               'first run: %s; one POST, one cluster' % _outcome(run), run.seconds)


def test_wait_false_then_rerun(runner, report, cloud, shared, cluster_name):
    with support.FaultWindow(runner.proxies, 'F2', [rule('lost_response', 'POST', '^/v1/clusters$')]) as window:
        with support.PausedService('magnum-conductor', PAUSE_SECONDS):
            first = runner.run([cluster_task(cluster_name, shared.template_name, wait=False)])
        rerun = runner.run([cluster_task(cluster_name, shared.template_name)])
        requests = window.requests()
    first_outcome = _outcome(first)
    if first.returncode != 0:
        assert first.result('cluster').get('in_flight') is True, first.output[-3000:]
        assert 'may still be queued' in first.result('cluster')['msg']
    assert rerun.returncode == 0, rerun.output[-3000:]
    _exactly_one(cloud, cluster_name, requests)
    report.add('F2', 'magnum_cluster', 'create (wait: false), then a re-run (wait: true)',
               'lost response on the POST; magnum-conductor paused (SIGSTOP) for %d s' % PAUSE_SECONDS,
               'first run: %s; re-run: %s; one POST, one cluster' % (first_outcome, _outcome(rerun)),
               first.seconds + rerun.seconds)


@pytest.mark.skipif(not LONG, reason='a 3-minute pause: with `make faults` (RESILIENCE_LONG=1) only')
def test_wait_false_past_the_confirmation_window(runner, report, cloud, shared, cluster_name):
    """The conductor stays paused beyond wait: false's confirmation window (60 s): the first run fails saying the
    create may still be queued, and a re-run started while it is still paused finds the create in the journal and
    waits for it instead of sending another."""
    pause_seconds = 180
    with support.FaultWindow(runner.proxies, 'F6', [rule('lost_response', 'POST', '^/v1/clusters$')]) as window:
        with support.PausedService('magnum-conductor', pause_seconds) as pause:
            first = runner.run([cluster_task(cluster_name, shared.template_name, wait=False)])
            rerun_started_paused = pause.resumed_at is None
            rerun = runner.run([cluster_task(cluster_name, shared.template_name, timeout=pause_seconds + 300)],
                               timeout=pause_seconds + 600)
        requests = window.requests()
    assert rerun_started_paused, 'the conductor resumed before the re-run started'
    assert first.returncode != 0, 'the first run found a cluster the paused conductor cannot have written'
    assert first.result('cluster').get('in_flight') is True, first.output[-3000:]
    assert 'may still be queued' in first.result('cluster')['msg']
    assert rerun.returncode == 0, rerun.output[-3000:]
    assert rerun.result('cluster')['cluster']['status'] == 'CREATE_COMPLETE'
    _exactly_one(cloud, cluster_name, requests)
    report.add('F6', 'magnum_cluster', 'create (wait: false), then a re-run (wait: true) during the pause',
               'lost response on the POST; magnum-conductor paused (SIGSTOP) for %d s' % pause_seconds,
               'first run: %s; re-run: %s; one POST, one cluster' % (_outcome(first), _outcome(rerun)),
               first.seconds + rerun.seconds)


def test_rerun_while_paused(runner, report, cloud, shared, cluster_name):
    """A second run starts while the first waits and the conductor is still paused: it finds the create in the
    journal and waits for it instead of sending another."""
    results = {}
    task = cluster_task(cluster_name, shared.template_name, timeout=PAUSE_SECONDS + 300)
    with support.FaultWindow(runner.proxies, 'F3', [rule('lost_response', 'POST', '^/v1/clusters$')]) as window:
        with support.PausedService('magnum-conductor', PAUSE_SECONDS) as pause:
            first = _run_until_posted(runner, task, results, 'first', window)
            second_started_paused = pause.resumed_at is None
            results['second'] = runner.run([task])
            first.join(PAUSE_SECONDS + 600)
        requests = window.requests()
    assert second_started_paused, 'the second run started after the conductor resumed'
    for which in ('first', 'second'):
        assert results[which].returncode == 0, results[which].output[-3000:]
    _exactly_one(cloud, cluster_name, requests)
    report.add('F3', 'magnum_cluster', 'create (wait: true) and a second run of it started during the pause',
               'lost response on the POST; magnum-conductor paused (SIGSTOP) for %d s' % PAUSE_SECONDS,
               'first run: %s; concurrent re-run: %s; one POST, one cluster'
               % (_outcome(results['first']), _outcome(results['second'])),
               max(results['first'].seconds, results['second'].seconds))


@pytest.mark.skipif(not LONG, reason='restarts the conductor: with `make faults` (RESILIENCE_LONG=1) only')
def test_conductor_restarted(runner, report, cloud, shared, cluster_name):
    """The conductor is killed and started again (the local cloud's service control) while the create whose answer
    was lost waits in its queue: the new conductor takes it up, the task waits for it and sends no second one."""
    from localcloud.config import Paths
    from localcloud.process import State
    task = cluster_task(cluster_name, shared.template_name, timeout=300)
    results = {}
    with support.FaultWindow(runner.proxies, 'F5', [rule('lost_response', 'POST', '^/v1/clusters$')]) as window:
        with support.PausedService('magnum-conductor', PAUSE_SECONDS) as pause:
            first = _run_until_posted(runner, task, results, 'run', window)
            restarted_paused = pause.resumed_at is None
            os.killpg(pause.pgid, signal.SIGKILL)
            pause.resumed_at = pause.paused_at  # nothing left to resume
            subprocess.run([os.path.join(support.LOCALCLOUD, 'bin', 'localcloud'), 'restart', 'magnum-conductor'],
                           check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        restarted = State(Paths()).running('magnum-conductor')
        first.join(600)
        requests = window.requests()
    run = results['run']
    assert restarted_paused, 'the conductor resumed before it was restarted'
    assert restarted is not None and restarted.pid != pause.pgid, 'magnum-conductor did not start again'
    assert run.returncode == 0, run.output[-3000:]
    _exactly_one(cloud, cluster_name, requests)
    report.add('F5', 'magnum_cluster', 'create (wait: true)',
               'lost response on the POST; magnum-conductor paused, then killed and started again while the create '
               'is queued', 'first run: %s; one POST, one cluster' % _outcome(run), run.seconds)
