# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils import heat
from ansible_collections.coe.magnum.tests.unit.neutron_fake import FakeClusterCloud


@pytest.fixture
def facts(monkeypatch):
    """The opt-in cache, as a dict."""
    kept = {}
    monkeypatch.setattr(heat, 'cached_fact', lambda connection, kind, key: kept.get((kind, key)))
    monkeypatch.setattr(heat, 'remember_fact',
                        lambda connection, kind, key, value: kept.__setitem__((kind, key), value))
    return kept


def test_the_stack_name_learnt_from_the_redirect_saves_the_redirect_next_time(facts):
    cloud = FakeClusterCloud('heat')
    stack_id = cloud.cluster['stack_id']
    first = heat.HeatStacks(cloud.connection).resources(stack_id)
    assert facts == {('stack_names', stack_id): cloud.heat.stack_name(stack_id)}
    second = heat.HeatStacks(cloud.connection).resources(stack_id)
    assert first == second and len(first) > 0
    assert cloud.heat.calls == [('resources', stack_id), ('resources', cloud.heat.stack_name(stack_id), stack_id)]


def test_a_wrong_cached_name_falls_back_to_the_stack_id(facts):
    cloud = FakeClusterCloud('heat')
    stack_id = cloud.cluster['stack_id']
    facts[('stack_names', stack_id)] = 'renamed'
    assert heat.HeatStacks(cloud.connection).resources(stack_id)
    assert cloud.heat.calls == [('resources', 'renamed', stack_id), ('resources', stack_id)]
    assert facts[('stack_names', stack_id)] == cloud.heat.stack_name(stack_id)


def test_without_the_cache_every_read_goes_through_the_redirect():
    cloud = FakeClusterCloud('heat')
    stack_id = cloud.cluster['stack_id']
    for _attempt in range(2):
        heat.HeatStacks(cloud.connection).resources(stack_id)
    assert cloud.heat.calls == [('resources', stack_id)] * 2
