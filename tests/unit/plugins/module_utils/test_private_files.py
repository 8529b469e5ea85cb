# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

from ansible_collections.coe.magnum.plugins.module_utils import private_files


def test_the_temporary_file_is_new_and_left_nowhere(tmp_path, monkeypatch):
    directory = tmp_path / 'cache'
    opened = []
    real_open = os.open
    monkeypatch.setattr(private_files.os, 'open', lambda path, flags, *mode: opened.append((path, flags))
                        or real_open(path, flags, *mode))
    private_files.write_private_file(str(directory / 'state.json'), '{}')
    (temporary, flags), = opened
    assert flags & os.O_EXCL and flags & os.O_NOFOLLOW and flags & os.O_CREAT
    assert temporary.startswith(str(directory / 'state.json.'))
    assert sorted(p.name for p in directory.iterdir()) == ['state.json']
    assert stat.S_IMODE(os.stat(str(directory / 'state.json')).st_mode) == 0o600
