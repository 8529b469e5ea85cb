# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names a careless URL turns into another resource's: every module, given them, leaves that resource alone.

A template and a cluster exist (the session's shared ones, standing for `web`); each module is given names that
differ from theirs by `#2`, `?x`, `/../<name>`, an escaped last letter (`we%62` for `web`), a trailing space and an
accented letter. None of them may reach the template or the cluster: the request log holds no write at all, both
are still there, and each task either finds nothing or fails with a message that names the parameter.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import support
from support import clusters_named, templates_named


def odd_names(name):
    return [name + '#2', name + '?x', '%s/../%s' % (name, name), '%s%%%02x' % (name[:-1], ord(name[-1])),
            name + ' ', name.replace('e', u'\u00e9', 1)]


def tasks_for(template_name, cluster_name, dest):
    tasks = []

    def task(kind, module, args, check_mode=False):
        entry = {'name': '%s-%d' % (kind, len(tasks) // len(EXPECTED)), module: args, 'ignore_errors': True}
        if check_mode:
            entry['check_mode'] = True
        tasks.append(entry)

    for template, cluster in zip(odd_names(template_name), odd_names(cluster_name)):
        task('template-absent', 'coe.magnum.magnum_cluster_template', dict(name=template, state='absent'))
        task('template-info', 'coe.magnum.magnum_cluster_template_info', dict(name=template))
        task('cluster-absent', 'coe.magnum.magnum_cluster', dict(name=cluster, state='absent'))
        # In check mode: a module that wrongly found the template would predict a cluster, and create none.
        task('cluster-from-template', 'coe.magnum.magnum_cluster',
             dict(name=support.unique('never'), cluster_template=template), check_mode=True)
        task('cluster-info', 'coe.magnum.magnum_cluster_info', dict(name=cluster))
        task('clusters-of-template', 'coe.magnum.magnum_cluster_info', dict(cluster_template=template))
        task('config', 'coe.magnum.magnum_cluster_config', dict(cluster=cluster, dest=dest))
        task('ports', 'coe.magnum.magnum_cluster_ports', dict(
            cluster=cluster, role='worker', rules=[dict(protocol='tcp', port=8443, remote_ip_prefix='10.0.0.0/8')]))
    return tasks


def names(parameter):
    """A failure whose message names the parameter, as `parameter`."""
    return lambda result: '`%s`' % parameter in result.get('msg', '')


# What each task may do with an odd name: find nothing (ok, changed false, empty), or fail naming the parameter
# (a name no Magnum resource can have, or one that cannot be part of a URL, is refused before any request).
EXPECTED = {
    'template-absent': [('ok', lambda r: r.get('changed') is False), ('failed', names('name'))],
    'template-info': [('ok', lambda r: r.get('cluster_templates') == []), ('failed', names('name'))],
    'cluster-absent': [('failed', names('name'))],
    'cluster-from-template': [('failed', names('cluster_template'))],
    'cluster-info': [('ok', lambda r: r.get('clusters') == []), ('failed', names('name'))],
    'clusters-of-template': [('ok', lambda r: r.get('clusters') == []), ('failed', names('cluster_template'))],
    'config': [('failed', names('cluster'))],
    'ports': [('failed', names('cluster'))],
}


def test_odd_names_leave_the_template_and_cluster_alone(runner, report, cloud, shared, tmp_path):
    cluster = shared.ready()
    template = shared.template
    dest = str(tmp_path / 'kube')
    with support.FaultWindow(runner.proxies, 'N1') as window:
        run = runner.run(tasks_for(template.name, cluster.name, dest))
        requests = window.requests()
    problems = []
    for record in run.records:
        kind = record['task'].rsplit('-', 1)[0]
        result = record['result']
        allowed = any(record['outcome'] == outcome and fits(result) for outcome, fits in EXPECTED[kind])
        if not allowed or 'Traceback' in str(result.get('msg', '')):
            problems.append('%s: %s %s' % (record['task'], record['outcome'], support_short(result)))
    assert len(run.records) == len(EXPECTED) * 6, run.output[-3000:]
    writes = support.mutating(requests)
    assert writes == [], 'writes reached the cloud: %s' % writes
    assert len(templates_named(cloud, template.name)) == 1
    assert [c.id for c in clusters_named(cloud, cluster.name)] == [cluster.uuid]
    report.add('N1', 'every Magnum module', 'lookups by name',
               'names that differ from an existing template and cluster by `#2`, `?x`, `/../<name>`, an escaped '
               'last letter, a trailing space, an accented letter (%d tasks)' % len(run.records),
               'TEST FAILED' if problems else 'nothing found or a clear refusal naming the parameter, no write; '
               'the template and cluster untouched', run.seconds)
    assert not problems, '\n'.join(problems)


def support_short(result):
    return ' '.join(str(result.get('msg') or {k: result.get(k) for k in ('changed', 'clusters', 'cluster_templates')
                                               if k in result}).split())[:300]
