# -*- coding: utf-8 -*-
"""Fixtures every unit test file may take by name."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.tests.unit.cluster_fakes import FakeTime


@pytest.fixture
def clock():
    """The one fake clock: it moves only when the code sleeps, and lists every wait."""
    return FakeTime()
