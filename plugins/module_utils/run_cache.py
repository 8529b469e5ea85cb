# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A cache, between module runs, of the Keystone token (with its catalog), Magnum's version range and facts that
never change: the coe and tls_disabled of a template that clusters use, the name of a Heat stack.

Every module run is a new process that would otherwise authenticate and discover again (a password authentication
is the slowest request a real cloud answers). On by default in ~/.cache/coe.magnum, as kubectl and the AWS CLI keep
theirs; COE_MAGNUM_AUTH_CACHE names another directory or, set to 0/off, turns it off. One file per operating-system
user, cloud, region and set of credentials holds what keystoneauth calls the auth state, mode 0600 in a 0700
directory. The file name is a hash that includes keystoneauth's cache id of the auth options (itself a hash
of them, secrets included), so another user, cloud, project or password never finds it. An expired or
revoked token costs one new authentication: keystoneauth re-authenticates before expiry and on a 401.

Its file is written and read through private_files.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import time
import weakref

from ansible_collections.coe.magnum.plugins.module_utils.private_files import (
    check_private, read_private_file, write_private_file,
)

CACHE_ENVIRONMENT = 'COE_MAGNUM_AUTH_CACHE'
# Long enough to span a playbook, short enough that a Magnum upgrade is seen soon.
VERSION_RANGE_SECONDS = 3600
_caches = weakref.WeakKeyDictionary()


def cache_directory(environ=None):
    value = (environ if environ is not None else os.environ).get(CACHE_ENVIRONMENT, '').strip()
    if value.lower() in ('0', 'false', 'no', 'off'):
        return None
    if value.lower() in ('', '1', 'true', 'yes', 'on'):
        return os.path.join(os.path.expanduser('~'), '.cache', 'coe.magnum')
    return os.path.expanduser(value)


class RunCache:
    """The cache file of one connection's user, cloud and credentials."""

    def __init__(self, path):
        self.path = path

    @classmethod
    def for_connection(cls, connection, environ=None):
        directory = cache_directory(environ)
        auth = getattr(connection.session, 'auth', None)
        cache_id = auth.get_cache_id() if auth is not None and hasattr(auth, 'get_cache_id') else None
        if not directory or not cache_id:
            return None
        config = connection.config
        key = json.dumps([os.getuid(), config.name, config.region_name, cache_id])
        return cls(os.path.join(directory, hashlib.sha256(key.encode()).hexdigest() + '.json'))

    def load(self):
        """The cached record, or {} when there is none, it is corrupt, or it is not safely ours."""
        try:
            check_private(os.lstat(os.path.dirname(self.path)), os.path.dirname(self.path), 'directory')
            data = read_private_file(self.path)
            record = json.loads(data.decode('utf-8')) if data else {}
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def save(self, record):
        """Write atomically with mode 0600 (parallel module runs may write at the same time). A cache that cannot be
        written safely is skipped: it only saves time."""
        try:
            write_private_file(self.path, json.dumps(record))
        except (OSError, TypeError, ValueError):
            pass

    def update(self, **fields):
        record = self.load()
        record.update(fields)
        self.save(record)


def attach(connection, environ=None):
    """Install the cached token in the connection's auth plugin (when the cache is on); called once by connect()."""
    cache = RunCache.for_connection(connection, environ)
    if cache is None:
        return None
    _caches[connection] = cache
    auth = connection.session.auth
    state = cache.load().get('auth_state')
    if state:
        try:
            auth.set_auth_state(state)
        except (KeyError, TypeError, ValueError):
            auth.set_auth_state(None)
    try:
        # Authenticates only when the cached token is missing or about to expire.
        auth.get_access(connection.session)
    except Exception:  # the module's first real call reports it, in the words of its own action
        return cache
    if auth.get_auth_state() != state:
        cache.update(auth_state=auth.get_auth_state())
    return cache


def _cache_of(connection):
    try:
        return _caches.get(connection)
    except TypeError:  # not a connection (a test double or None): no cache
        return None


def cached_version_range(connection, endpoint):
    cache = _cache_of(connection)
    if cache is None:
        return None
    entry = (cache.load().get('version_ranges') or {}).get(endpoint)
    if not entry or time.time() - entry.get('time', 0) > VERSION_RANGE_SECONDS:
        return None
    low, high = entry['range']
    return tuple(low), tuple(high)


def remember_version_range(connection, endpoint, version_range):
    cache = _cache_of(connection)
    if cache is not None:
        ranges = cache.load().get('version_ranges') or {}
        ranges[endpoint] = {'range': [list(version_range[0]), list(version_range[1])], 'time': time.time()}
        cache.update(version_ranges=ranges)


def remember_fact(connection, kind, key, value):
    """Keep a fact that never changes for `key` (a template's coe, a stack's name) when the cache is on."""
    cache = _cache_of(connection)
    if cache is not None and key and value is not None:
        facts = cache.load().get(kind) or {}
        if facts.get(key) != value:
            facts[key] = value
            cache.update(**{kind: facts})


def cached_fact(connection, kind, key):
    cache = _cache_of(connection)
    if cache is None:
        return None
    return (cache.load().get(kind) or {}).get(key)
