# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.create_journal import CreateJournal, journal_directory


@pytest.fixture
def warnings():
    return []


@pytest.fixture
def journal(tmp_path, clock, warnings):
    return CreateJournal(str(tmp_path / 'coe.magnum'), 'cloud-a', 'project-a', warn=warnings.append, clock=clock)


def test_an_entry_is_pending_until_its_create_timeout(journal, clock):
    journal.record('cluster', 'k8s', 3600)
    assert journal.pending('cluster', 'k8s')['name'] == 'k8s'
    clock.now += 3599
    assert journal.pending('cluster', 'k8s') is not None
    clock.now += 1
    assert journal.pending('cluster', 'k8s') is None
    assert not os.path.exists(journal.path('cluster', 'k8s'))  # an expired entry is removed


def test_the_id_is_added_with_the_time_of_the_request(journal, clock):
    sent = journal.record('cluster', 'k8s', 600)['sent']
    clock.now += 5
    journal.record('cluster', 'k8s', 600, ident='u-1', sent=sent)
    entry = journal.pending('cluster', 'k8s')
    assert entry['id'] == 'u-1' and entry['sent'] == sent and entry['expires'] == sent + 600


def test_entries_are_private_files_in_a_private_directory(journal):
    journal.record('cluster', 'k8s', 600)
    path = journal.path('cluster', 'k8s')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700


def test_other_names_projects_and_clouds_see_nothing(journal, tmp_path, clock):
    journal.record('cluster', 'k8s', 600)
    assert journal.pending('cluster', 'k8s-2') is None
    assert CreateJournal(journal.directory, 'cloud-a', 'project-b', clock=clock).pending('cluster', 'k8s') is None
    assert CreateJournal(journal.directory, 'cloud-b', 'project-a', clock=clock).pending('cluster', 'k8s') is None


def test_forget_removes_the_entry(journal):
    journal.record('cluster', 'k8s', 600)
    journal.forget('cluster', 'k8s')
    journal.forget('cluster', 'k8s')  # twice is fine
    assert journal.pending('cluster', 'k8s') is None


def test_a_corrupt_file_is_ignored_with_a_warning(journal, warnings):
    journal.record('cluster', 'k8s', 600)
    with open(journal.path('cluster', 'k8s'), 'w') as handle:
        handle.write('{"cloud": "cloud-a", "expires": ')
    assert journal.pending('cluster', 'k8s') is None
    assert len(warnings) == 1 and 'is ignored' in warnings[0] and journal.path('cluster', 'k8s') in warnings[0]


def test_a_file_others_can_read_is_refused_with_a_warning(journal, warnings):
    journal.record('cluster', 'k8s', 600)
    os.chmod(journal.path('cluster', 'k8s'), 0o644)
    assert journal.pending('cluster', 'k8s') is None and len(warnings) == 1


@pytest.mark.skipif(os.getuid() != 0, reason='making a file of another user needs root')
def test_another_users_file_is_refused_with_a_warning(journal, warnings):
    journal.record('cluster', 'k8s', 600)
    os.chown(journal.path('cluster', 'k8s'), 65534, 65534)
    assert journal.pending('cluster', 'k8s') is None
    assert len(warnings) == 1 and 'another owner' in warnings[0]


def test_the_directory_is_the_auth_caches_unless_overridden(tmp_path):
    home = os.path.join(os.path.expanduser('~'), '.cache', 'coe.magnum')
    assert journal_directory({}) == home
    assert journal_directory({'COE_MAGNUM_AUTH_CACHE': str(tmp_path)}) == str(tmp_path)
    assert journal_directory({'COE_MAGNUM_AUTH_CACHE': '0'}) == home  # the journal stays on
    assert journal_directory({'COE_MAGNUM_CREATE_JOURNAL': str(tmp_path / 'j')}) == str(tmp_path / 'j')
    assert journal_directory({'COE_MAGNUM_CREATE_JOURNAL': 'off'}) is None


def test_a_connection_without_a_cloud_has_no_journal():
    assert CreateJournal.for_connection(object()) is None


def test_an_entry_that_cannot_be_written_is_reported(tmp_path, clock, warnings):
    # The journal's directory is a link planted by someone else: it is refused, and the run is told so.
    (tmp_path / 'elsewhere').mkdir(mode=0o700)
    (tmp_path / 'coe.magnum').symlink_to(tmp_path / 'elsewhere')
    journal = CreateJournal(str(tmp_path / 'coe.magnum'), 'cloud-a', 'project-a', warn=warnings.append, clock=clock)
    journal.record('cluster', 'k8s', 600)
    assert os.listdir(str(tmp_path / 'elsewhere')) == []
    assert len(warnings) == 1 and 'could not be written' in warnings[0]
