# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the resilience suites: the local cloud, a playbook runner, a shared template and cluster."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

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


@pytest.fixture(scope='session')
def shared(cloud):
    made = support.SharedCluster(cloud)
    yield made
    made.cleanup()
