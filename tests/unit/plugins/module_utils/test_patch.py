# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.patch import (
    differences, json_patch, label_value, normalise_labels,
)
from ansible_collections.coe.magnum.tests.unit.data import cases, load


@pytest.mark.parametrize('case', cases('patch/cases.yml'))
def test_changes_and_patch(case):
    changes = differences(case['current'], case['wanted'])
    assert changes == case['changes']
    assert json_patch(changes, case['current']) == case['patch']


@pytest.mark.parametrize('case', load('patch/labels.yml'))
def test_label_values_are_stored_as_strings(case):
    assert label_value(case['given']) == case['stored']


def test_normalise_labels_keeps_none_as_unset():
    assert normalise_labels(None) is None
    assert normalise_labels({'csi': True, 3: 4}) == {'csi': 'true', '3': '4'}


def test_custom_equality_overrides_plain_comparison():
    def by_id(field, current, wanted):
        return {'img-id': 'Fedora'}.get(current) == wanted if field == 'image_id' else None
    assert differences({'image_id': 'img-id'}, {'image_id': 'Fedora'}, by_id) == []
    assert differences({'image_id': 'other'}, {'image_id': 'Fedora'}, by_id) == [
        {'field': 'image_id', 'current': 'other', 'wanted': 'Fedora'}]


def test_a_field_set_to_nothing_is_removed():
    assert json_patch([{'field': 'tags', 'current': 'a', 'wanted': []}], {}) == [{'op': 'remove', 'path': '/tags'}]
