# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults in the Kubernetes API traffic of coe_storage and the storage_class role, and names that are not
Kubernetes names.

The suites' proxy stands in front of the shared cluster's Kubernetes API emulator (support.KubeProxy); the
modules get a kubeconfig that points at it. Every case checks the cluster's objects afterwards (exactly the
StorageClass, namespace and claim asked for, the claim Bound to one volume) and the proxy's request log (the
fault hit the write, no object was created twice), then runs again without faults: the re-run must change
nothing and write nothing. The outcomes of both runs are reported apart.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

import support
from test_names import odd_names

KUBE = 'kubernetes'
CLASSES = '/apis/storage.k8s.io/v1/storageclasses'
NAMESPACES = '/api/v1/namespaces'


def rule(action, method, path, times=1, **extra):
    return dict(extra, action=action, method=method, path=path, service=KUBE, times=times)


def claims_of(namespace):
    return '%s/%s/persistentvolumeclaims' % (NAMESPACES, namespace)


@pytest.fixture(scope='module')
def kube(shared, proxies, collections_path, tmp_path_factory):
    """The proxy in front of the shared cluster's API, from a kubeconfig magnum_cluster_config wrote; the objects the
    cases made are deleted at the end (straight through the emulator)."""
    shared.ready()
    work = tmp_path_factory.mktemp('kube-proxy')
    setup = support.Runner(str(work), {}, collections_path, proxies=proxies).run([
        {'name': 'config', 'coe.magnum.magnum_cluster_config': {'cluster': shared.name, 'dest': str(work / 'kube')}}])
    assert setup.returncode == 0, setup.output[-3000:]
    started = support.KubeProxy(str(work / 'proxy'), str(work / 'kube' / 'config'))
    started.made = []
    yield started
    for path in reversed(started.made):
        started.request('DELETE', path)
    started.stop()


def storage_task(kube, class_name, namespace, claim='data', state='present', **extra):
    args = dict(kubeconfig=kube.kubeconfig, state=state, storage_class=dict(name=class_name),
                claims=[dict(name=claim, namespace=namespace, storage_class=class_name,
                             **({'size': '1Gi'} if state == 'present' else {}))], timeout=120)
    args.update(extra)
    return {'name': 'storage', 'coe.magnum.coe_storage': args}


def role_task(kube, class_name, namespace, claim='data'):
    return {'name': 'storage', 'ansible.builtin.include_role': {'name': 'coe.magnum.storage_class'},
            'vars': {'storage_class_kubeconfig': kube.kubeconfig, 'storage_class_name': class_name,
                     'storage_class_default': False, 'storage_class_timeout': 120,
                     'storage_class_claims': [dict(name=claim, namespace=namespace, size='1Gi',
                                                   storage_class=class_name)]}}


def accepted_creates(requests, collection):
    """POSTs to the collection that the server carried out, whatever answer reached the module."""
    return [r for r in requests if r['method'] == 'POST' and r['path'].split('?')[0] == collection
            and (r.get('backend_status') or r['status']) == 201]


def check_objects(kube, class_name, namespace, claim, requests):
    """Exactly the StorageClass, namespace and claim asked for, each created once; the claim Bound to one volume."""
    assert kube.get('%s/%s' % (CLASSES, class_name)) is not None, 'no StorageClass %s' % class_name
    assert kube.get('%s/%s' % (NAMESPACES, namespace)) is not None, 'no namespace %s' % namespace
    found = kube.get(claims_of(namespace))['items']
    assert [item['metadata']['name'] for item in found] == [claim], found
    assert found[0]['status'].get('phase') == 'Bound', found[0]['status']
    assert found[0]['spec'].get('storageClassName') == class_name
    volumes = [v for v in kube.get('/api/v1/persistentvolumes')['items']
               if (v['spec'].get('claimRef') or {}).get('namespace') == namespace]
    assert len(volumes) == 1, 'expected one volume for %s/%s, found %d' % (namespace, claim, len(volumes))
    for collection in (CLASSES, NAMESPACES, claims_of(namespace)):
        made = accepted_creates(requests, collection)
        assert len(made) == 1, 'expected one accepted POST to %s, found %d: %s' % (collection, len(made), made)


ROLE_TASK = 'Ensure the Cinder StorageClass and the claims'


def storage_result(run):
    """The result of coe_storage: the task named storage, or the storage_class role's task that runs it."""
    found = [r for r in run.records if r['task'] == 'storage' or r['task'].endswith(ROLE_TASK)]
    assert found, 'coe_storage did not run:\n%s' % run.output[-3000:]
    return found[-1]['result']


def describe(hits):
    return ', '.join('%s %s -> %s (%s)' % (h['method'], h['path'], h['status'], h['fault']) for h in hits)


def short(msg, limit=160):
    msg = ' '.join(msg.split())
    return msg if len(msg) <= limit else msg[:limit - 3] + '...'


def run_kube_case(runner, report, kube, case, tasks, rules, expected_hits, check):
    """Run under the rules, check, run again without faults; both outcomes go into the report."""
    try:
        with support.FaultWindow(kube, case['id'], rules) as window:
            run = runner.run(tasks)
            hits = window.hits()
            requests = window.requests()
        assert len(hits) >= expected_hits, 'expected %d fault hits, got %d: %s\n%s' % (
            expected_hits, len(hits), describe(hits), run.output[-3000:])
        if run.returncode == 0:
            first = 'first run: success'
        else:
            failed = [r for r in run.records if r['outcome'] == 'failed']
            msg = failed[0]['result'].get('msg', '') if failed else run.output[-300:]
            assert 'Traceback' not in msg and 'MODULE FAILURE' not in run.output, run.output[-3000:]
            first = 'first run: clear failure ("%s")' % short(msg)
        with support.FaultWindow(kube, case['id'] + '-rerun') as window:
            rerun = runner.run(tasks)
            rerun_requests = window.requests()
        assert rerun.returncode == 0, 'the re-run failed:\n%s' % rerun.output[-3000:]
        if run.returncode == 0:
            result = storage_result(rerun)
            assert result.get('changed') is False, result
            assert support.mutating(rerun_requests) == [], support.mutating(rerun_requests)
            second = 're-run: no change, no write'
        else:
            second = 're-run: success'
        check(requests + rerun_requests)
    except AssertionError as error:
        report.add(case['id'], case['module'], case['path'], case['fault'],
                   'TEST FAILED: %s' % short(str(error).splitlines()[0]))
        raise
    report.add(case['id'], case['module'], case['path'], case['fault'], '%s; %s' % (first, second),
               run.seconds + rerun.seconds)
    return run


WRITES = 'the StorageClass, namespace and claim POSTs'
CREATE_CASES = [
    ('S1', 'on each of %s: 503 before forwarding, then 502 after forwarding (the object was made)' % WRITES,
     [dict(action='status', status=503), dict(action='replaced_response', status=502)]),
    ('S2', 'on each of %s: a connection reset, then a lost answer (the object was made)' % WRITES,
     [dict(action='reset'), dict(action='lost_response')]),
]


def post_rules(namespace, faults):
    return [dict(fault, service=KUBE, method='POST', path='^%s$' % re.escape(collection), times=1)
            for collection in (CLASSES, NAMESPACES, claims_of(namespace)) for fault in faults]


@pytest.mark.parametrize('case_id,fault,faults', CREATE_CASES, ids=[c[0] for c in CREATE_CASES])
def test_storage_create(runner, report, kube, case_id, fault, faults):
    name = support.unique(case_id.lower())
    kube.made += ['%s/%s' % (NAMESPACES, name), '%s/%s' % (CLASSES, name)]
    run_kube_case(runner, report, kube, dict(id=case_id, module='coe_storage',
                                             path='StorageClass, namespace and claim create (wait)', fault=fault),
                  [storage_task(kube, name, name)], post_rules(name, faults), 6,
                  lambda requests: check_objects(kube, name, name, 'data', requests))


def test_role_latency_and_claim_wait_cut(runner, report, kube):
    """Through the storage_class role: slow creates, then the claim-bound wait, which reads the claim (GET) until it
    is Bound, has its reads cut, refused and lost."""
    name = support.unique('s3')
    kube.made += ['%s/%s' % (NAMESPACES, name), '%s/%s' % (CLASSES, name)]
    claim = '^%s/data$' % re.escape(claims_of(name))
    # With a new namespace the claim is not looked up before its create: the first GETs of it are the wait's.
    rules = post_rules(name, [dict(action='latency', seconds=3)]) + [
        rule('reset', 'GET', claim), rule('status', 'GET', claim, status=503), rule('lost_response', 'GET', claim)]
    run_kube_case(runner, report, kube, dict(id='S3', module='storage_class role (coe_storage)',
                                             path='StorageClass, namespace and claim create; claim-bound wait',
                                             fault='3 s latency on each of %s; then the wait\'s reads of the claim: '
                                                   'a reset, a 503, a lost answer' % WRITES),
                  [role_task(kube, name, name)], rules, 6,
                  lambda requests: check_objects(kube, name, name, 'data', requests))


def test_storage_update_and_delete(runner, report, kube):
    """A 502 after the PATCH went through (expansion allowed), then the claim and class removed with lost answers to
    their DELETEs."""
    name = support.unique('s4')
    kube.made += ['%s/%s' % (NAMESPACES, name), '%s/%s' % (CLASSES, name)]
    made = runner.run([storage_task(kube, name, name)])
    assert made.returncode == 0, made.output[-3000:]
    expand = storage_task(kube, name, name)
    expand['coe.magnum.coe_storage']['storage_class']['allow_volume_expansion'] = True
    rules = [rule('replaced_response', 'PATCH', '^%s/%s$' % (CLASSES, name), status=502)]

    def expanded(requests):
        assert kube.get('%s/%s' % (CLASSES, name)).get('allowVolumeExpansion') is True
        assert len([r for r in requests if r['method'] == 'PATCH']) >= 1
    run_kube_case(runner, report, kube, dict(id='S4', module='coe_storage', path='StorageClass update',
                                             fault='502 after forwarding on the PATCH (the change was made)'),
                  [expand], rules, 1, expanded)
    rules = [rule('lost_response', 'DELETE', '^%s/data$' % re.escape(claims_of(name))),
             rule('lost_response', 'DELETE', '^%s/%s$' % (CLASSES, name))]
    removal = storage_task(kube, name, name, state='absent', delete_bound_claims=True)

    def removed(requests):
        assert kube.get('%s/%s' % (CLASSES, name)) is None
        assert kube.get(claims_of(name) + '/data') is None
    run_kube_case(runner, report, kube, dict(id='S5', module='coe_storage', path='claim and StorageClass delete',
                                             fault='lost answer on the claim DELETE and on the StorageClass DELETE'),
                  [removal], rules, 2, removed)


# ---- names that are not Kubernetes names --------------------------------------------------------------------------

def test_odd_names_are_refused_before_any_request(runner, report, kube):
    """A StorageClass, a namespace and a claim `web` exist; names that differ from theirs by URL-significant
    characters are refused before the first request, each naming its parameter, and `web` is left untouched."""
    web = support.unique('web')
    kube.made += ['%s/%s' % (NAMESPACES, web), '%s/%s' % (CLASSES, web)]
    for collection, body in (
            (CLASSES, {'apiVersion': 'storage.k8s.io/v1', 'kind': 'StorageClass', 'metadata': {'name': web},
                       'provisioner': 'cinder.csi.openstack.org'}),
            (NAMESPACES, {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': web}}),
            (claims_of(web), {'apiVersion': 'v1', 'kind': 'PersistentVolumeClaim', 'metadata': {'name': web},
                              'spec': {'accessModes': ['ReadWriteOnce'], 'storageClassName': web,
                                       'resources': {'requests': {'storage': '1Gi'}}}})):
        status, document = kube.request('POST', collection, body)
        assert status == 201, (status, document)
    paths = ['%s/%s' % (CLASSES, web), '%s/%s' % (NAMESPACES, web), '%s/%s' % (claims_of(web), web)]
    # Taken once the claim is Bound: the binding changes it, nothing after that may.
    support.wait_for(lambda: (kube.get(paths[2]).get('status') or {}).get('phase') == 'Bound', 120, interval=0.5,
                     what='claim %s/%s to be Bound' % (web, web))
    before = [kube.get(path)['metadata']['resourceVersion'] for path in paths]
    tasks = []
    for index, odd in enumerate(odd_names(web)):
        for state in ('present', 'absent'):
            claims = [dict(name=odd, namespace=web), dict(name=web, namespace=odd),
                      dict(name=web, namespace=web, storage_class=odd)]
            if state == 'present':
                for claim in claims:
                    claim['size'] = '1Gi'
            tasks.append({'name': '%s-%d' % (state, index), 'ignore_errors': True, 'coe.magnum.coe_storage': dict(
                kubeconfig=kube.kubeconfig, state=state, storage_class=dict(name=odd), claims=claims)})
    with support.FaultWindow(kube, 'N2') as window:
        run = runner.run(tasks)
        requests = window.requests()
    parameters = ['storage_class.name', 'claims[0].name', 'claims[1].namespace', 'claims[2].storage_class']
    problems = []
    for record in run.records:
        msg = record['result'].get('msg', '')
        missing = [parameter for parameter in parameters if parameter not in msg]
        if record['outcome'] != 'failed' or missing or 'Traceback' in msg:
            problems.append('%s: %s, lacks %s: %s' % (record['task'], record['outcome'], missing, short(msg, 300)))
    after = [kube.get(path)['metadata']['resourceVersion'] for path in paths]
    outcome = ('TEST FAILED' if problems or requests or after != before else
               'refused before any request, naming storage_class.name, claims[].name, claims[].namespace and '
               'claims[].storage_class; no request in the log; `web` untouched')
    report.add('N2', 'coe_storage', 'StorageClass, namespace and claim names',
               'names that differ from an existing StorageClass, namespace and claim by `#2`, `?x`, `/../<name>`, an '
               'escaped last letter, a trailing space, an accented letter; state present and absent (%d tasks)'
               % len(run.records), outcome, run.seconds)
    assert len(run.records) == len(tasks), run.output[-3000:]
    assert not problems, '\n'.join(problems)
    assert requests == [], 'requests reached the cluster: %s' % requests
    assert after == before, 'the objects named %s changed' % web
