# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.openstack import skips_version_discovery
from ansible_collections.coe.magnum.tests.unit.data import cases


@pytest.mark.parametrize('case', cases('connection/version_discovery.yml'))
def test_v3_plugin_only_where_it_takes_every_option(case):
    assert skips_version_discovery(case['config']) is case['skips']
