# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
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


def test_a_file_that_cannot_be_read_is_reported_with_the_reason(tmp_path):
    with pytest.raises(CoeError) as error:
        files.read_text(str(tmp_path))
    assert error.value.msg == 'Cannot read %s: Is a directory' % tmp_path


def test_the_mode_of_an_existing_file(tmp_path, open_umask):
    path = tmp_path / 'config'
    path.write_text('')
    os.chmod(str(path), 0o640)
    assert files.mode_of(str(path)) == 0o640


def test_writable_directories_and_their_future_children_pass(tmp_path):
    files.check_writable_directory(str(tmp_path), 'dest')
    files.check_writable_directory(str(tmp_path / 'a' / 'b' / 'c'), 'dest')
    files.check_writable_file(str(tmp_path / 'config'), 'dest')


def test_a_directory_that_can_be_written_but_not_entered_is_refused(tmp_path, monkeypatch):
    # Mode 0600 on a directory: its owner may write it but not create anything in it.
    monkeypatch.setattr(files.os, 'access', lambda path, wanted: not wanted & os.X_OK)
    for path in (tmp_path, tmp_path / 'new', tmp_path / 'config'):
        with pytest.raises(CoeError) as error:
            files.check_writable_file(str(path / 'config') if path == tmp_path / 'new' else str(path), 'dest')
        assert error.value.details['parameter'] == 'dest'


def test_a_directory_below_a_file_cannot_be_created_and_the_message_names_the_file(tmp_path):
    (tmp_path / 'plain').write_text('')
    with pytest.raises(CoeError) as error:
        files.check_writable_directory(str(tmp_path / 'plain' / 'a' / 'b'), 'dest')
    assert error.value.msg == 'dest %s cannot be created: %s is not a writable directory.' % (
        tmp_path / 'plain' / 'a' / 'b', tmp_path / 'plain')


def test_created_directories_get_exactly_the_mode_asked_for_whatever_the_umask(tmp_path):
    previous = os.umask(0o077)
    try:
        assert files.ensure_directory(str(tmp_path / 'shared' / 'sub'), 0o755) is True
    finally:
        os.umask(previous)
    assert mode(tmp_path / 'shared') == 0o755 and mode(tmp_path / 'shared' / 'sub') == 0o755


def test_a_directory_that_cannot_be_created_is_reported(tmp_path):
    (tmp_path / 'plain').write_text('')
    with pytest.raises(CoeError) as error:
        files.ensure_directory(str(tmp_path / 'plain' / 'sub'))
    # The message names the file in the way.
    assert error.value.msg == 'Cannot create directory %s: File exists' % (tmp_path / 'plain')


def test_a_directory_made_by_someone_else_meanwhile_is_taken_as_it_is(tmp_path, monkeypatch):
    real_mkdir = os.mkdir

    def raced(path, mode):
        real_mkdir(path, 0o755)
        real_mkdir(path, mode)
    monkeypatch.setattr(files.os, 'mkdir', raced)
    assert files.ensure_directory(str(tmp_path / 'raced')) is False
    assert mode(tmp_path / 'raced') == 0o755


def test_writing_into_a_missing_directory_is_reported(tmp_path):
    with pytest.raises(CoeError) as error:
        files.write_atomic(str(tmp_path / 'missing' / 'config'), 'x')
    assert error.value.msg == 'Cannot write %s: No such file or directory' % (tmp_path / 'missing' / 'config')


def test_bytes_are_written_as_they_are_and_the_mode_asked_for_is_kept(tmp_path, open_umask):
    path = tmp_path / 'ca.pem'
    files.write_atomic(str(path), b'\xff\x00bytes', mode=0o644)
    assert path.read_bytes() == b'\xff\x00bytes' and mode(path) == 0o644
    files.write_atomic(str(path), u'caf\u00e9')
    assert path.read_bytes() == u'caf\u00e9'.encode('utf-8') and mode(path) == 0o600


def test_the_file_and_its_directory_are_flushed_to_disk(tmp_path, monkeypatch):
    flushed = []
    real_fsync = os.fsync

    def spy(descriptor):
        flushed.append('directory' if stat.S_ISDIR(os.fstat(descriptor).st_mode) else 'file')
        real_fsync(descriptor)
    monkeypatch.setattr(files.os, 'fsync', spy)
    files.write_atomic(str(tmp_path / 'config'), 'x')
    assert flushed == ['file', 'directory']


@pytest.mark.parametrize('failing', ['open', 'fsync'])
def test_a_directory_that_cannot_be_flushed_costs_only_durability(tmp_path, monkeypatch, failing):
    real = getattr(os, failing)

    def refuse_directories(descriptor_or_path, *args):
        if failing == 'open':
            is_directory = os.path.isdir(descriptor_or_path)
        else:
            is_directory = stat.S_ISDIR(os.fstat(descriptor_or_path).st_mode)
        if is_directory:
            raise OSError(22, 'Invalid argument')
        return real(descriptor_or_path, *args)
    monkeypatch.setattr(files.os, failing, refuse_directories)
    files.write_atomic(str(tmp_path / 'config'), 'x')
    assert (tmp_path / 'config').read_text() == 'x'


def test_an_interrupted_write_leaves_no_temporary_and_is_not_dressed_up(tmp_path, monkeypatch):
    def interrupt(*args):
        raise KeyboardInterrupt()
    monkeypatch.setattr(files.os, 'fsync', interrupt)
    with pytest.raises(KeyboardInterrupt):
        files.write_atomic(str(tmp_path / 'config'), 'x')
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.skipif(os.geteuid() != 0, reason='only root can give a file to another user')
def test_a_file_replaced_as_root_stays_its_owners(tmp_path):
    path = tmp_path / 'config'
    path.write_text('old')
    os.chown(str(path), 1234, 2345)
    files.write_atomic(str(path), 'new')
    assert (os.stat(str(path)).st_uid, os.stat(str(path)).st_gid) == (1234, 2345)
    os.chown(str(path), 0, 2345)
    files.write_atomic(str(path), 'newer')
    assert (os.stat(str(path)).st_uid, os.stat(str(path)).st_gid) == (0, 2345)
    os.chown(str(path), 0, 0)
    files.write_atomic(str(path), 'newest')
    assert (os.stat(str(path)).st_uid, os.stat(str(path)).st_gid) == (0, 0)


def test_a_directory_that_can_be_entered_but_not_written_cannot_get_a_new_child(tmp_path, monkeypatch):
    # Mode 0500: its owner may enter it but not create anything in it.
    monkeypatch.setattr(files.os, 'access', lambda path, wanted: not wanted & os.W_OK)
    with pytest.raises(CoeError) as error:
        files.check_writable_directory(str(tmp_path / 'new'), 'dest')
    assert error.value.msg == 'dest %s cannot be created: %s is not a writable directory.' % (
        tmp_path / 'new', tmp_path)


def test_a_file_that_may_not_be_read_is_reported_not_taken_as_missing(tmp_path, monkeypatch):
    def refuse(path, mode='r'):
        raise PermissionError(errno.EPERM, 'Operation not permitted')
    monkeypatch.setattr(files, 'open', refuse, raising=False)
    with pytest.raises(CoeError) as error:
        files.read_text(str(tmp_path / 'config'))
    assert error.value.msg == 'Cannot read %s: Operation not permitted' % (tmp_path / 'config')


def test_a_file_whose_owner_cannot_be_kept_is_still_written(tmp_path, monkeypatch):
    """A filesystem that refuses chown (NFS with root squashing): the content matters more than the owner."""
    path = tmp_path / 'config'
    path.write_text('old')
    monkeypatch.setattr(files.os, 'stat', lambda name: os.stat_result((0o100600, 0, 0, 1, 1234, 2345, 0, 0, 0, 0)))

    def refuse(*args):
        raise PermissionError(errno.EPERM, 'Operation not permitted')
    monkeypatch.setattr(files.os, 'chown', refuse)
    files.write_atomic(str(path), 'new')
    assert path.read_text() == 'new'


def test_the_failure_is_reported_even_when_the_temporary_is_already_gone(tmp_path, monkeypatch):
    def vanish_then_fail(source, destination):
        os.unlink(source)  # removed by someone cleaning the directory meanwhile
        raise OSError(errno.EXDEV, 'Invalid cross-device link')
    monkeypatch.setattr(files.os, 'rename', vanish_then_fail)
    with pytest.raises(CoeError) as error:
        files.write_atomic(str(tmp_path / 'config'), 'x')
    assert error.value.msg == 'Cannot write %s: Invalid cross-device link' % (tmp_path / 'config')
    assert os.listdir(str(tmp_path)) == []


def test_an_existing_directory_that_can_be_entered_but_not_written_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(files.os, 'access', lambda path, wanted: not wanted & os.W_OK)
    with pytest.raises(CoeError) as error:
        files.check_writable_directory(str(tmp_path), 'dest')
    assert error.value.msg == 'dest %s is not writable.' % tmp_path
