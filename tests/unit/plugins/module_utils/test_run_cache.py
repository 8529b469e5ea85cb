# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

import pytest

from ansible_collections.coe.magnum.plugins.module_utils import private_files, run_cache


class FakeAuth:
    """keystoneauth's plugin surface the cache uses: a cache id, an auth state, get_access."""

    def __init__(self, cache_id='credentials-hash'):
        self.cache_id = cache_id
        self.state = None
        self.authentications = 0

    def get_cache_id(self):
        return self.cache_id

    def get_auth_state(self):
        return self.state

    def set_auth_state(self, state):
        self.state = state

    def get_access(self, session):
        if self.state is None:
            self.authentications += 1
            self.state = json.dumps({'auth_token': 'token-%d' % self.authentications})
        return self.state


class FakeConfig:
    def __init__(self, name='mycloud', region_name='RegionOne'):
        self.name = name
        self.region_name = region_name


class FakeSession:
    def __init__(self, auth):
        self.auth = auth


class FakeConnection:
    def __init__(self, auth=None, config=None):
        self.session = FakeSession(auth or FakeAuth())
        self.config = config or FakeConfig()


USER_CACHE = os.path.join(os.path.expanduser('~'), '.cache', 'coe.magnum')


@pytest.mark.parametrize('value, expected', [
    ('', USER_CACHE), ('1', USER_CACHE), ('0', None), ('false', None), ('off', None), ('OFF', None),
    ('/var/cache/mine', '/var/cache/mine'),
])
def test_the_cache_is_on_in_the_users_cache_unless_turned_off(value, expected):
    assert run_cache.cache_directory({run_cache.CACHE_ENVIRONMENT: value}) == expected
    assert run_cache.cache_directory({}) == USER_CACHE


@pytest.mark.parametrize('value', ['0', 'off'])
def test_without_the_cache_every_run_authenticates_and_nothing_is_written(tmp_path, value):
    connection = FakeConnection()
    assert run_cache.attach(connection, environ={run_cache.CACHE_ENVIRONMENT: value}) is None
    assert connection.session.auth.authentications == 0
    assert list(tmp_path.iterdir()) == []


def test_a_second_run_reuses_the_token_from_a_private_file(tmp_path):
    directory = tmp_path / 'cache'
    environ = {run_cache.CACHE_ENVIRONMENT: str(directory)}
    first = FakeConnection()
    cache = run_cache.attach(first, environ=environ)
    assert first.session.auth.authentications == 1
    assert stat.S_IMODE(os.stat(str(directory)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(cache.path).st_mode) == 0o600

    second = FakeConnection()
    run_cache.attach(second, environ=environ)
    assert second.session.auth.authentications == 0
    assert second.session.auth.state == first.session.auth.state


@pytest.mark.parametrize('other', [
    FakeConnection(auth=FakeAuth(cache_id='another-user-or-password')),
    FakeConnection(config=FakeConfig(name='othercloud')),
    FakeConnection(config=FakeConfig(region_name='RegionTwo')),
])
def test_other_credentials_clouds_and_regions_never_share_a_token(tmp_path, other):
    environ = {run_cache.CACHE_ENVIRONMENT: str(tmp_path)}
    run_cache.attach(FakeConnection(), environ=environ)
    run_cache.attach(other, environ=environ)
    assert other.session.auth.authentications == 1
    assert len(list(tmp_path.glob('*.json'))) == 2


def test_a_file_others_can_read_is_ignored(tmp_path):
    environ = {run_cache.CACHE_ENVIRONMENT: str(tmp_path)}
    cache = run_cache.attach(FakeConnection(), environ=environ)
    os.chmod(cache.path, 0o644)
    later = FakeConnection()
    run_cache.attach(later, environ=environ)
    assert later.session.auth.authentications == 1


def test_the_version_range_is_kept_per_endpoint_for_an_hour(tmp_path, monkeypatch):
    environ = {run_cache.CACHE_ENVIRONMENT: str(tmp_path)}
    connection = FakeConnection()
    run_cache.attach(connection, environ=environ)
    endpoint = 'https://magnum.example/v1'
    assert run_cache.cached_version_range(connection, endpoint) is None
    run_cache.remember_version_range(connection, endpoint, ((1, 1), (1, 14)))

    later = FakeConnection()
    run_cache.attach(later, environ=environ)
    assert run_cache.cached_version_range(later, endpoint) == ((1, 1), (1, 14))
    assert run_cache.cached_version_range(later, 'https://other.example/v1') is None
    now = run_cache.time.time()
    monkeypatch.setattr(run_cache.time, 'time', lambda: now + run_cache.VERSION_RANGE_SECONDS + 1)
    assert run_cache.cached_version_range(later, endpoint) is None


def test_connections_without_the_cache_have_no_version_range(tmp_path):
    assert run_cache.cached_version_range(FakeConnection(), 'https://magnum.example/v1') is None
    assert run_cache.cached_version_range(None, 'https://magnum.example/v1') is None
    run_cache.remember_version_range(None, 'https://magnum.example/v1', ((1, 1), (1, 1)))


def test_facts_kept_by_one_run_serve_the_next(tmp_path):
    environ = {run_cache.CACHE_ENVIRONMENT: str(tmp_path)}
    connection = FakeConnection()
    run_cache.attach(connection, environ=environ)
    assert run_cache.cached_fact(connection, 'stack_names', 'S1') is None
    run_cache.remember_fact(connection, 'stack_names', 'S1', 'k8s-cluster-x7y2')
    run_cache.remember_fact(connection, 'template_facts', 'T1', {'coe': 'kubernetes', 'tls_disabled': False})

    later = FakeConnection()
    run_cache.attach(later, environ=environ)
    assert run_cache.cached_fact(later, 'stack_names', 'S1') == 'k8s-cluster-x7y2'
    assert run_cache.cached_fact(later, 'template_facts', 'T1') == {'coe': 'kubernetes', 'tls_disabled': False}
    assert run_cache.cached_fact(later, 'stack_names', 'S2') is None
    other_credentials = FakeConnection(auth=FakeAuth('another-user'))
    run_cache.attach(other_credentials, environ=environ)
    assert run_cache.cached_fact(other_credentials, 'stack_names', 'S1') is None


def test_without_the_cache_facts_are_never_kept(tmp_path):
    connection = FakeConnection()
    run_cache.remember_fact(connection, 'stack_names', 'S1', 'k8s-cluster-x7y2')
    assert run_cache.cached_fact(connection, 'stack_names', 'S1') is None
    assert list(tmp_path.iterdir()) == []


def _cache_in(directory):
    connection = FakeConnection()
    cache = run_cache.RunCache.for_connection(connection, {run_cache.CACHE_ENVIRONMENT: str(directory)})
    return connection, cache


def test_a_planted_link_at_the_cache_file_is_neither_read_nor_written_through(tmp_path):
    directory = tmp_path / 'cache'
    directory.mkdir(mode=0o700)
    victim = tmp_path / 'victim.json'
    victim.write_text(json.dumps({'auth_state': 'planted'}))
    victim.chmod(0o600)
    connection, cache = _cache_in(directory)
    os.symlink(str(victim), cache.path)
    assert cache.load() == {}, 'the cache read a planted link'
    run_cache.attach(connection, environ={run_cache.CACHE_ENVIRONMENT: str(directory)})
    assert json.loads(victim.read_text()) == {'auth_state': 'planted'}, 'the write followed the link'
    assert not os.path.islink(cache.path)
    assert json.loads(open(cache.path).read())['auth_state'] == connection.session.auth.get_auth_state()


def test_a_linked_cache_directory_is_not_used(tmp_path):
    real = tmp_path / 'elsewhere'
    real.mkdir(mode=0o700)
    (tmp_path / 'cache').symlink_to(real)
    connection, cache = _cache_in(tmp_path / 'cache')
    run_cache.attach(connection, environ={run_cache.CACHE_ENVIRONMENT: str(tmp_path / 'cache')})
    assert connection.session.auth.authentications == 1
    assert list(real.iterdir()) == []
    with pytest.raises(private_files.UnsafePathError, match='symbolic link'):
        private_files.ensure_private_directory(str(tmp_path / 'cache'))


def test_a_directory_others_can_reach_is_not_used(tmp_path):
    directory = tmp_path / 'cache'
    directory.mkdir()
    directory.chmod(0o755)
    connection, cache = _cache_in(directory)
    run_cache.attach(connection, environ={run_cache.CACHE_ENVIRONMENT: str(directory)})
    assert list(directory.iterdir()) == [], 'a token was written where others can list it'
    with pytest.raises(private_files.UnsafePathError, match='mode 0755'):
        private_files.ensure_private_directory(str(directory))


@pytest.mark.skipif(os.geteuid() != 0, reason='giving a file to another user needs root')
def test_a_directory_or_file_of_another_user_is_not_used(tmp_path):
    directory = tmp_path / 'cache'
    directory.mkdir(mode=0o700)
    connection, cache = _cache_in(directory)
    run_cache.RunCache(cache.path).save({'auth_state': 'mine'})
    os.chown(cache.path, 4321, 4321)
    assert cache.load() == {}, 'a file of another user was trusted'
    with pytest.raises(private_files.UnsafePathError, match='belongs to user 4321'):
        private_files.read_private_file(cache.path)
    os.chown(str(directory), 4321, 4321)
    with pytest.raises(private_files.UnsafePathError, match='belongs to user 4321'):
        private_files.ensure_private_directory(str(directory))


@pytest.mark.parametrize('content', [b'{"auth_state": ', b'\xff\xfe', b'[1, 2]', b''])
def test_a_corrupt_cache_file_costs_one_authentication_and_is_rewritten(tmp_path, content):
    directory = tmp_path / 'cache'
    directory.mkdir(mode=0o700)
    connection, cache = _cache_in(directory)
    descriptor = os.open(cache.path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(descriptor, content)
    os.close(descriptor)
    run_cache.attach(connection, environ={run_cache.CACHE_ENVIRONMENT: str(directory)})
    assert connection.session.auth.authentications == 1
    assert json.loads(open(cache.path).read())['auth_state'] == connection.session.auth.get_auth_state()


def test_cache_file_names_hold_no_secret(tmp_path):
    auth = FakeAuth(cache_id='pw-in-the-cache-id')
    connection = FakeConnection(auth=auth, config=FakeConfig(name='cloud-with-secret-name'))
    cache = run_cache.RunCache.for_connection(connection, {run_cache.CACHE_ENVIRONMENT: str(tmp_path)})
    name = os.path.basename(cache.path)
    assert 'pw-in-the-cache-id' not in name and 'cloud-with-secret-name' not in name
    assert len(name) == len('0' * 64 + '.json')
