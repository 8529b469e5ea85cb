# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.coe.magnum.plugins.module_utils.openstack_base import MagnumModule
from ansible_collections.coe.magnum.plugins.module_utils.magnum_api import StaleVersionRange
from ansible_collections.coe.magnum.tests.unit.fakes import FakeCloud, run_module


class DecidesTwice(MagnumModule):
    """Refused once as with a cached version range the server no longer serves, then converges."""

    runs = []

    def run(self):
        self.runs.append(self._magnum)
        if len(self.runs) == 1:
            raise StaleVersionRange('Magnum refused API 1.9, which its cached version range allowed.')
        return dict(changed=False, decided=len(self.runs))


class AlwaysStale(MagnumModule):
    def run(self):
        raise StaleVersionRange('Magnum refused API 1.9, which its cached version range allowed.')


def test_a_stale_version_range_makes_the_module_decide_again_with_a_new_gateway():
    DecidesTwice.runs = []
    cloud = FakeCloud()
    result, failed = run_module(DecidesTwice, {}, cloud)
    assert not failed and result['decided'] == 2
    assert DecidesTwice.runs[0] is cloud.magnum and DecidesTwice.runs[1] is None


def test_a_second_refusal_fails_with_its_message():
    result, failed = run_module(AlwaysStale, {}, FakeCloud())
    assert failed and 'cached version range' in result['msg']
