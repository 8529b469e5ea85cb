# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.cluster.upgrade import (
    nodegroup_upgrade_step,
    runs_template,
    upgrade_findings,
)


def template(kube_tag):
    return {'name': 't-%s' % kube_tag, 'labels': {'kube_tag': kube_tag} if kube_tag else {}}


@pytest.mark.parametrize('coe_version, current, wanted, kept', [
    pytest.param('v1.31.1', 'v1.30.4', 'v1.31.1', True, id='runs-the-new-version-under-the-old-reference'),
    pytest.param('v1.30.4', 'v1.30.4', 'v1.31.1', False, id='still-on-the-old-version'),
    pytest.param('v1.30.4', 'v1.30.4', 'v1.30.4', False, id='same-version-in-both-templates-is-a-change-to-make'),
    pytest.param('v1.30.4', None, 'v1.30.4', False, id='current-template-names-no-version'),
    pytest.param('v1.31.1', 'v1.30.4', None, False, id='new-template-names-no-version'),
])
def test_a_kept_template_reference_is_told_only_by_a_version_change(coe_version, current, wanted, kept):
    current_template = None if current is None else template(current)
    assert runs_template({'coe_version': coe_version}, template(wanted), current_template) is kept


def test_a_current_template_that_is_gone_tells_nothing():
    assert runs_template({'coe_version': 'v1.31.1'}, template('v1.31.1'), None) is False


def capi_helm(kube_tag):
    return dict(template(kube_tag), uuid='t-capi', driver='k8s_capi_helm_v1')


def test_a_group_of_a_driver_that_upgrades_every_group_is_not_upgraded_again_once_the_cluster_runs_the_version():
    group = {'name': 'extra', 'version': 'v1.30.4'}
    assert nodegroup_upgrade_step(group, capi_helm('v1.31.1'), None, {'coe_version': 'v1.31.1'}) is None
    step = nodegroup_upgrade_step(group, capi_helm('v1.31.1'), None, {'coe_version': 'v1.30.4'})
    assert (step.nodegroup, step.version, step.current_version) == ('extra', 'v1.31.1', 'v1.30.4')
    heat = dict(template('v1.31.1'), uuid='t-heat', driver='k8s_fedora_coreos_v1')
    assert nodegroup_upgrade_step(group, heat, None, {'coe_version': 'v1.31.1'}).nodegroup == 'extra'


def test_the_version_records_of_groups_upgraded_with_the_cluster_are_not_reported_behind():
    record = {'name': 'c', 'cluster_template_id': 't-capi', 'coe_version': 'v1.31.1'}
    groups = [{'name': 'default-worker', 'version': 'v1.30.4'}, {'name': 'extra', 'version': 'v1.30.4'}]
    assert upgrade_findings(record, 't-capi', 'v1.31.1', groups, every_group=True) == []
    assert upgrade_findings(record, 't-capi', 'v1.31.1', groups) == [
        "Node groups of cluster 'c' that do not run v1.31.1 after the upgrade: default-worker (v1.30.4), "
        "extra (v1.30.4). Upgrade each with the `nodegroup` option."]
    behind = dict(record, coe_version='v1.30.4')
    assert any('that do not run v1.31.1' in text
               for text in upgrade_findings(behind, 't-capi', 'v1.31.1', groups, every_group=True))
