# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.coe.magnum.plugins.module_utils.cluster.upgrade import runs_template


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
