# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files that hold credentials: private from their first byte, replaced atomically, never left half-written."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import stat
import tempfile

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIRECTORY_MODE = 0o700


def read_text(path):
    """The file's text, or None when it does not exist."""
    try:
        with open(path, 'r') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise CoeError('Cannot read %s: %s' % (path, exc.strerror or exc)) from exc


def mode_of(path):
    """The permission bits of path, or None when it does not exist."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def check_writable_directory(path, parameter):
    """Fail before any change when path cannot become or is not a directory we may write into."""
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise CoeError('%s %s exists and is not a directory.' % (parameter, path), parameter=parameter)
        if not os.access(path, os.W_OK | os.X_OK):
            raise CoeError('%s %s is not writable.' % (parameter, path), parameter=parameter)
        return
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise CoeError('%s %s cannot be created: %s is not a writable directory.' % (parameter, path, parent),
                       parameter=parameter)


def check_writable_file(path, parameter):
    """Fail before any change when the file at path could not be replaced."""
    if os.path.isdir(path):
        raise CoeError('%s %s is a directory, not a file.' % (parameter, path), parameter=parameter)
    check_writable_directory(os.path.dirname(os.path.abspath(path)), parameter)


def ensure_directory(path, mode=PRIVATE_DIRECTORY_MODE):
    """Create path and its missing parents with mode (exactly, whatever the umask); True when any was created.

    Existing directories keep their mode: they may be shared on purpose (a home directory, ~/.kube).
    """
    path = os.path.abspath(path)
    if os.path.isdir(path):
        return False
    ensure_directory(os.path.dirname(path), mode)
    try:
        os.mkdir(path, mode)
    except OSError as exc:
        if exc.errno != errno.EEXIST or not os.path.isdir(path):
            raise CoeError('Cannot create directory %s: %s' % (path, exc.strerror or exc)) from exc
        return False
    os.chmod(path, mode)
    return True


def write_atomic(path, content, mode=PRIVATE_FILE_MODE):
    """Replace path with content: a private temporary file beside it, flushed to disk, then renamed over it.

    mkstemp creates the file with mode 0600, so no other user can ever read a key from it; readers of path see
    the old file or the whole new one, never a part.
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    except OSError as exc:
        raise CoeError('Cannot write %s: %s' % (path, exc.strerror or exc)) from exc
    try:
        with os.fdopen(handle, 'wb') as stream:
            stream.write(content.encode('utf-8') if not isinstance(content, bytes) else content)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        _keep_owner(path, temporary)
        os.rename(temporary, path)
    except BaseException as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(exc, (OSError, IOError)):
            raise CoeError('Cannot write %s: %s' % (path, exc.strerror or exc)) from exc
        raise
    _sync_directory(directory)


def _keep_owner(path, temporary):
    """A file replaced as root for another user (~/.kube/config) stays that user's, so they can still read it."""
    try:
        existing = os.stat(path)
    except OSError:
        return
    if (existing.st_uid, existing.st_gid) != (os.getuid(), os.getgid()):
        try:
            os.chown(temporary, existing.st_uid, existing.st_gid)
        except OSError:
            pass


def _sync_directory(directory):
    """Make the rename durable; some filesystems refuse to open a directory, which only costs durability."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
