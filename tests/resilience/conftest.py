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

STARTED = pytest.StashKey()


def pytest_addoption(parser):
    parser.addoption('--resilience-report', default=os.environ.get('RESILIENCE_REPORT'),
                     help='write the table of fault cases and bad inputs to this Markdown file')


def pytest_configure(config):
    # The local cloud's fault and log helpers find their files through LOCALCLOUD_HOME.
    os.environ.update(support.cloud_environment())
    config.stash[STARTED] = (time.time(), os.getloadavg()[0])


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


@pytest.fixture(scope='session')
def proxies(tmp_path_factory, environment, cloud):
    """The suites' own proxies in front of the cloud's services, for the playbooks and their fault rules."""
    started = support.Proxies(str(tmp_path_factory.mktemp('proxies')), environment, cloud.current_project_id)
    yield started
    started.stop()


@pytest.fixture
def runner(tmp_path, environment, proxies, collections_path):
    return support.Runner(str(tmp_path), environment, collections_path, proxies=proxies)


@pytest.fixture(scope='session')
def report(request):
    collected = support.Report(*request.config.stash[STARTED])
    collected.bad_inputs = None
    yield collected
    path = request.config.getoption('--resilience-report')
    if path and (collected.rows or collected.bad_inputs or collected.secrets):
        with open(path, 'w') as handle:
            handle.write(collected.markdown(collected.bad_inputs))


@pytest.fixture(scope='session')
def shared(cloud):
    made = support.SharedCluster(cloud)
    yield made
    made.cleanup()
