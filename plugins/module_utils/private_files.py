# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private files for the state the collection keeps between runs (the run cache, the create journal).

They refuse a directory or file that is a symlink, not the user's own or open to others, and write through a new
temporary file (O_CREAT|O_EXCL|O_NOFOLLOW) renamed into place, so a planted link or file is never followed or
overwritten.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import errno
import os
import stat


# O_NOFOLLOW is POSIX; where it is missing, the lstat checks still refuse links.
NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)
PRIVATE_MODE_BITS = stat.S_IRWXG | stat.S_IRWXO


class UnsafePathError(OSError):
    """A directory or file of the collection's state that another user could have planted or can read."""

    def __init__(self, path, why):
        super(UnsafePathError, self).__init__(errno.EPERM, '%s %s' % (path, why), path)
        self.why = why


def check_private(info, path, kind):
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePathError(path, 'is a symbolic link, not a %s' % kind)
    expected = stat.S_ISDIR if kind == 'directory' else stat.S_ISREG
    if not expected(info.st_mode):
        raise UnsafePathError(path, 'is not a %s' % kind)
    if info.st_uid != os.getuid():
        raise UnsafePathError(path, 'belongs to user %d, not to %d' % (info.st_uid, os.getuid()))
    if info.st_mode & PRIVATE_MODE_BITS:
        raise UnsafePathError(path, 'has mode %04o: other users can reach it' % stat.S_IMODE(info.st_mode))


def ensure_private_directory(path):
    """Create path (and its parents) with mode 0700 when missing; raise UnsafePathError when it exists but is a
    link, not a directory, someone else's or open to others (a cache or journal must not be readable by others)."""
    try:
        os.makedirs(path, mode=0o700)
    except FileExistsError:
        pass
    check_private(os.lstat(path), path, 'directory')
    return path


def read_private_file(path):
    """The bytes of a private regular file, or None when it does not exist; UnsafePathError when it is a link
    (O_NOFOLLOW refuses it), someone else's or open to others."""
    try:
        descriptor = os.open(path, os.O_RDONLY | NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePathError(path, 'is a symbolic link, not a file') from None
        raise
    with os.fdopen(descriptor, 'rb') as handle:
        check_private(os.fstat(handle.fileno()), path, 'file')
        return handle.read()


def write_private_file(path, data):
    """Replace path with data, atomically and mode 0600, in a private directory (created when missing).

    The temporary file is new (O_EXCL: an existing file or link of that name fails the write instead of being
    followed) and renamed over path, which replaces a link there rather than writing through it.
    """
    ensure_private_directory(os.path.dirname(path))
    temporary = '%s.%d.%s.tmp' % (path, os.getpid(), binascii.hexlify(os.urandom(4)).decode('ascii'))
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600)
    try:
        with os.fdopen(descriptor, 'wb') as handle:
            handle.write(data if isinstance(data, bytes) else data.encode('utf-8'))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def remove_private_file(path):
    """Remove path when it exists; a link there is removed itself, never what it points to."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
