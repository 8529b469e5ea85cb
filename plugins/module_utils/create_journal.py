# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The journal of creates in flight: what a lost answer leaves behind, so that no later run sends the create again.

Magnum answers a cluster create at once and its conductor writes the cluster's row later (seconds, or minutes when
it is busy or restarting). When the answer is lost, the name finds nothing for a while, yet a second create would
make a second cluster. Before each create, one small file records the cloud, project, kind, name and time (and the
ID once Magnum gives it); a later run on the same controller that finds the entry waits for that create instead of
sending another, until the entry expires with the create's own timeout. The entry goes as soon as the row is seen.

The files live in the auth cache's per-user directory (~/.cache/coe.magnum, or the directory
COE_MAGNUM_AUTH_CACHE names), mode 0600, read only when the current user owns them and no one else may read them.
COE_MAGNUM_CREATE_JOURNAL names another directory, or turns the journal off (0, false, no, off).
A controller without that directory (a fresh execution environment, another AWX job pod) cannot know about a
create another one left in flight: there, only Magnum's own list can tell, once the conductor has written the row.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import time

from ansible_collections.coe.magnum.plugins.module_utils.private_files import remove_private_file, write_private_file
from ansible_collections.coe.magnum.plugins.module_utils.run_cache import CACHE_ENVIRONMENT, RunCache, cache_directory

JOURNAL_ENVIRONMENT = 'COE_MAGNUM_CREATE_JOURNAL'
OFF = ('0', 'false', 'no', 'off')


def journal_directory(environ=None):
    """The journal's directory, or None when it is turned off."""
    environ = environ if environ is not None else os.environ
    value = environ.get(JOURNAL_ENVIRONMENT, '').strip()
    if value.lower() in OFF:
        return None
    if value:
        return os.path.expanduser(value)
    # The auth cache's directory, whether or not the cache itself is on.
    return cache_directory(environ) or cache_directory({CACHE_ENVIRONMENT: 'yes'})


class CreateJournal:
    """In-flight creates of one cloud and project; warn(message) reports a journal file that cannot be used."""

    def __init__(self, directory, cloud, project, warn=None, clock=None):
        self.directory = directory
        self.cloud = cloud
        self.project = project
        self._warn = warn or (lambda message: None)
        self._clock = clock or time.time

    @classmethod
    def for_connection(cls, connection, warn=None, environ=None):
        """The journal of the connection's cloud and project, or None when it is off or the cloud is unknown."""
        directory = journal_directory(environ)
        try:
            config = connection.config
            cloud = '%s %s %s' % (config.name, config.get_auth_args().get('auth_url'), config.region_name)
            project = connection.current_project_id
        except Exception:  # a connection without a cloud config (tests) or not authenticated: no journal
            return None
        if not directory or not project:
            return None
        return cls(directory, cloud, project, warn=warn)

    def path(self, kind, name):
        key = json.dumps([os.getuid(), self.cloud, self.project, kind, name])
        return os.path.join(self.directory, 'create-%s.json' % hashlib.sha256(key.encode()).hexdigest())

    def pending(self, kind, name):
        """The unexpired entry of a create of `name`, or None."""
        path = self.path(kind, name)
        if not os.path.lexists(path):
            return None
        entry = RunCache(path).load()
        if not entry or not isinstance(entry.get('expires'), (int, float)):
            self._warn('The create journal file %s is not readable as this user\'s own journal (another owner, '
                       'readable by others, or not valid JSON); it is ignored.' % path)
            return None
        if entry.get('cloud') != self.cloud or entry.get('project') != self.project or entry.get('name') != name:
            return None
        if entry['expires'] <= self._clock():
            self.forget(kind, name)
            return None
        return entry

    def record(self, kind, name, expires_in, ident=None, sent=None):
        """Note a create about to be sent (or, with `ident`, the ID Magnum gave it); returns the entry."""
        now = self._clock()
        entry = dict(cloud=self.cloud, project=self.project, kind=kind, name=name, sent=sent or now,
                     expires=(sent or now) + expires_in, id=ident)
        path = self.path(kind, name)
        try:
            write_private_file(path, json.dumps(entry))
        except OSError as exc:
            # Unlike the auth cache, a journal entry that is not written is a guarantee lost: say so.
            self._warn('The create journal file %s could not be written (%s): a run on this controller before the '
                       'cluster appears would not know of this create.' % (path, exc))
        return entry

    def forget(self, kind, name):
        try:
            remove_private_file(self.path(kind, name))
        except OSError:
            pass


def describe_sent(entry):
    return '%s%s' % (_utc(entry.get('sent')), ' (ID %s)' % entry['id'] if entry.get('id') else '')


def describe_entry(entry, path):
    """How a user finds out about a create in flight, for messages."""
    return ('the create sent at %s may still be queued in Magnum, and is not sent again until %s (journal file %s: '
            'delete it to send the create again sooner). See whether Magnum has it with `openstack coe cluster '
            'list` or coe.magnum.magnum_cluster_info.' % (describe_sent(entry), _utc(entry.get('expires')), path))


def _utc(seconds):
    return time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(seconds or 0))
