# -*- coding: utf-8 -*-
"""Test cases kept as data files under tests/unit/fixtures/."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def load(relative_path):
    with open(os.path.join(FIXTURES, relative_path)) as handle:
        return yaml.safe_load(handle)


def cases(relative_path):
    """pytest parameters, one per case of a fixture file, named by each case's `id`."""
    return [pytest.param(case, id=case.get('id', str(index))) for index, case in enumerate(load(relative_path))]
