# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.coe.magnum.plugins.module_utils import files
from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError


def mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


@pytest.fixture
def open_umask():
    """The loosest umask a user may have: any mode that depends on it would show."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_written_files_are_private_whatever_the_umask(tmp_path, open_umask):
    path = tmp_path / 'config'
    files.write_atomic(str(path), 'secret')
    assert path.read_text() == 'secret'
    assert mode(path) == 0o600


def test_the_file_is_private_from_its_first_byte(tmp_path, open_umask, monkeypatch):
    seen = []
    real_fdopen = os.fdopen

    def spy(descriptor, *args, **kwargs):
        seen.append(stat.S_IMODE(os.fstat(descriptor).st_mode))
        return real_fdopen(descriptor, *args, **kwargs)
    monkeypatch.setattr(files.os, 'fdopen', spy)
    files.write_atomic(str(tmp_path / 'key.pem'), 'key')
    assert seen == [0o600]


def test_replacing_a_loose_file_makes_it_private(tmp_path, open_umask):
    path = tmp_path / 'config'
    path.write_text('old')
    os.chmod(str(path), 0o644)
    files.write_atomic(str(path), 'new')
    assert path.read_text() == 'new' and mode(path) == 0o600


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / 'config'
    path.write_text('old content')

    def fail(*args):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(files.os, 'fsync', fail)
    with pytest.raises(CoeError) as error:
        files.write_atomic(str(path), 'new content')
    assert 'No space left on device' in error.value.msg and str(path) in error.value.msg
    assert path.read_text() == 'old content'
    assert os.listdir(str(tmp_path)) == ['config']


def test_created_directories_are_private_and_existing_ones_kept(tmp_path, open_umask):
    existing = tmp_path / 'home'
    existing.mkdir()
    os.chmod(str(existing), 0o755)
    target = existing / 'a' / 'b'
    assert files.ensure_directory(str(target)) is True
    assert mode(target) == 0o700 and mode(existing / 'a') == 0o700
    assert mode(existing) == 0o755
    assert files.ensure_directory(str(target)) is False


def test_read_text_of_a_missing_file_is_none(tmp_path):
    assert files.read_text(str(tmp_path / 'nothing')) is None
    assert files.mode_of(str(tmp_path / 'nothing')) is None


def test_a_file_where_the_directory_should_be_is_refused(tmp_path):
    (tmp_path / 'dest').write_text('')
    with pytest.raises(CoeError) as error:
        files.check_writable_directory(str(tmp_path / 'dest'), 'dest')
    assert 'not a directory' in error.value.msg and error.value.details['parameter'] == 'dest'
    with pytest.raises(CoeError):
        files.check_writable_directory(str(tmp_path / 'dest' / 'below'), 'dest')


def test_a_directory_without_write_permission_is_refused(tmp_path, monkeypatch):
    locked = tmp_path / 'locked'
    locked.mkdir()
    # As root every directory is writable, so the permission check is fed what a normal user would get.
    monkeypatch.setattr(files.os, 'access', lambda path, wanted: not str(path).startswith(str(locked)))
    for path in (locked, locked / 'new'):
        with pytest.raises(CoeError) as error:
            files.check_writable_directory(str(path), 'dest')
        assert error.value.details['parameter'] == 'dest' and str(path) in error.value.msg


def test_a_directory_where_the_file_should_be_is_refused(tmp_path):
    with pytest.raises(CoeError) as error:
        files.check_writable_file(str(tmp_path), 'merge_into')
    assert 'is a directory' in error.value.msg and error.value.details['parameter'] == 'merge_into'
    files.check_writable_file(str(tmp_path / 'new' / 'config'), 'merge_into')
