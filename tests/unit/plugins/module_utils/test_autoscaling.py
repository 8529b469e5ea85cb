# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.autoscaling import (
    autoscaling_enabled,
    drift_warning,
    node_count_decision,
)
from ansible_collections.coe.magnum.tests.unit.data import cases


@pytest.mark.parametrize('case', cases('nodegroup/autoscaling.yml'))
def test_node_count_decision_table(case):
    labels = {} if case['label'] is None else {'auto_scaling_enabled': case['label']}
    decision = node_count_decision(case['current'], case['wanted'], case['min'], case['max'],
                                   autoscaling_enabled(labels), case['force'])
    assert decision == case['decision']


def test_drift_warning_names_counts_range_and_the_opt_in():
    message = drift_warning("Node group 'big' of cluster 'k8s'", 4, 2, 1, None)
    assert "Node group 'big' of cluster 'k8s' has 4 nodes where the task asks for 2" in message
    assert 'within 1-unbounded' in message and 'force_node_count: true' in message
