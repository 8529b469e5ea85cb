# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the resilience suites: the local cloud, a playbook runner, a shared template and cluster."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

import pytest

import support


def pytest_addoption(parser):
    parser.addoption('--resilience-report', default=os.environ.get('RESILIENCE_REPORT'),
                     help='write the table of fault cases and bad inputs to this Markdown file')


def pytest_configure(config):
    # The local cloud's fault and log helpers find their files through LOCALCLOUD_HOME.
    os.environ.update(support.cloud_environment())


@pytest.fixture(scope='session')
def environment():
    return support.cloud_environment()


@pytest.fixture(scope='session')
def cloud(environment):
    return support.backdoor_connection(environment)


@pytest.fixture(scope='session')
def collections_path(tmp_path_factory):
    """ANSIBLE_COLLECTIONS_PATH as make gives it, else a tree that links coe.magnum to this checkout."""
    if os.environ.get('ANSIBLE_COLLECTIONS_PATH'):
        return os.environ['ANSIBLE_COLLECTIONS_PATH']
    root = tmp_path_factory.mktemp('collections')
    namespace = root / 'ansible_collections' / 'coe'
    namespace.mkdir(parents=True)
    (namespace / 'magnum').symlink_to(support.REPO)
    return str(root)


@pytest.fixture
def runner(tmp_path, environment, collections_path):
    return support.Runner(str(tmp_path), environment, collections_path)


@pytest.fixture(scope='session')
def report(request):
    collected = support.Report()
    collected.bad_inputs = None
    yield collected
    path = request.config.getoption('--resilience-report')
    if path and (collected.rows or collected.bad_inputs):
        with open(path, 'w') as handle:
            handle.write(collected.markdown(collected.bad_inputs))


@pytest.fixture(autouse=True)
def no_faults_left():
    """Whatever a test does, the shared cloud is left with no fault rule."""
    yield
    support.faults.clear_faults()


def wait_for(predicate, timeout, interval=1.0, what='the condition'):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %d s waiting for %s' % (timeout, what))
        time.sleep(interval)


def find_cluster(cloud, name):
    return cloud.container_infrastructure_management.find_cluster(name, ignore_missing=True)


def clusters_named(cloud, name):
    return [c for c in cloud.container_infrastructure_management.clusters() if c.name == name]


def templates_named(cloud, name):
    return [t for t in cloud.container_infrastructure_management.cluster_templates() if t.name == name]


def wait_cluster(cloud, name, statuses=('CREATE_COMPLETE', 'UPDATE_COMPLETE'), timeout=120):
    def settled():
        cluster = find_cluster(cloud, name)
        if cluster is not None and cluster.status.endswith('_FAILED'):
            raise AssertionError('cluster %s is %s: %s' % (name, cluster.status, cluster.status_reason))
        return cluster if cluster is not None and cluster.status in statuses else None
    return wait_for(settled, timeout, what='cluster %s to be one of %s' % (name, ', '.join(statuses)))


def delete_cluster(cloud, name, wait=True):
    cluster = find_cluster(cloud, name)
    if cluster is not None and cluster.status != 'DELETE_IN_PROGRESS':
        cloud.container_infrastructure_management.delete_cluster(cluster, ignore_missing=True)
    if wait:
        wait_for(lambda: find_cluster(cloud, name) is None, 120, what='cluster %s to be deleted' % name)


def delete_template(cloud, name):
    """Delete a template once no cluster uses it any more (cluster deletes finish asynchronously)."""
    def deleted():
        found = templates_named(cloud, name)
        for template in found:
            try:
                cloud.container_infrastructure_management.delete_cluster_template(template, ignore_missing=True)
            except Exception:  # still referenced by a cluster being deleted
                return False
        return True
    wait_for(deleted, 120, interval=3, what='template %s to be deleted' % name)


def template_fields(name, **extra):
    fields = dict(name=name, coe='kubernetes', image_id=support.IMAGE, external_network_id=support.EXTERNAL_NETWORK,
                  flavor_id=support.FLAVOR, master_flavor_id=support.FLAVOR, keypair_id=support.KEYPAIR,
                  network_driver='flannel', volume_driver='cinder', dns_nameserver='8.8.8.8',
                  labels={'kube_tag': 'v1.30.4'})
    fields.update(extra)
    return fields


class SharedCluster:
    """A template and a cluster made once per session through the backends; the create is sent at once and
    waited for on first use, so the suites that need no cluster run meanwhile."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.template_name = support.unique('tmpl')
        self.name = support.unique('shared')
        self.template = cloud.container_infrastructure_management.create_cluster_template(
            **template_fields(self.template_name))
        self.clusters = [self.name]
        cloud.container_infrastructure_management.create_cluster(
            name=self.name, cluster_template_id=self.template.id, master_count=1, node_count=1)
        self._ready = None

    def ready(self):
        if self._ready is None:
            self._ready = wait_cluster(self.cloud, self.name)
        return self._ready

    def cleanup(self):
        for name in self.clusters:
            delete_cluster(self.cloud, name, wait=False)
        delete_template(self.cloud, self.template_name)


@pytest.fixture(scope='session')
def shared(cloud):
    made = SharedCluster(cloud)
    yield made
    made.cleanup()
