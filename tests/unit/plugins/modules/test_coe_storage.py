# -*- coding: utf-8 -*-
"""coe_storage end to end against the in-memory Kubernetes API: one case per entry of coe_storage_cases.yml."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from unittest import mock

import pytest
from ansible.module_utils import basic

from ansible_collections.coe.magnum.plugins.module_utils import kube_client
from ansible_collections.coe.magnum.plugins.module_utils.storage import reconcile
from ansible_collections.coe.magnum.plugins.modules import coe_storage
from ansible_collections.coe.magnum.tests.unit.cluster_fakes import FakeTime
from ansible_collections.coe.magnum.tests.unit.data import cases
from ansible_collections.coe.magnum.tests.unit.fakes import ModuleExit, module_exits
from ansible_collections.coe.magnum.tests.unit.kube_fake import FakeKubeClient, fake_cluster


def run_module(cluster, params, check_mode=False, diff=False):
    warnings = []
    with module_exits(dict(params, _ansible_check_mode=check_mode, _ansible_diff=diff)), \
            mock.patch.object(basic.AnsibleModule, 'warn', lambda module, text: warnings.append(text)), \
            mock.patch.object(kube_client, 'connect', lambda module: FakeKubeClient(cluster)), \
            mock.patch.object(reconcile, 'time', FakeTime()):
        with pytest.raises(ModuleExit) as caught:
            coe_storage.main()
    result = caught.value.result
    result['warnings'] = warnings
    return caught.value.failed, result


def assert_contains(actual, expected, where='result'):
    """Every key of expected is in actual with an equal value; dicts and lists of dicts compare the same way."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), '%s: %r is not a dict' % (where, actual)
        for key, value in expected.items():
            assert key in actual, '%s: no %s in %r' % (where, key, actual)
            assert_contains(actual[key], value, '%s.%s' % (where, key))
    elif isinstance(expected, list) and expected and isinstance(expected[0], dict):
        assert len(actual) == len(expected), '%s: %r' % (where, actual)
        for index, (item, wanted) in enumerate(zip(actual, expected)):
            assert_contains(item, wanted, '%s[%d]' % (where, index))
    else:
        assert actual == expected, '%s: %r != %r' % (where, actual, expected)


def check(failed, result, cluster, expect):
    assert failed == expect.get('failed', False), result.get('msg')
    for text in expect.get('msg', []):
        assert text in result['msg']
    if 'writes' in expect:
        assert cluster.writes == expect['writes']
    if 'requests' in expect:
        assert len(cluster.requests) == expect['requests']
    for text in expect.get('warnings', []):
        assert any(text in warning for warning in result['warnings']), result['warnings']
    if 'warnings' in expect and not expect['warnings']:
        assert result['warnings'] == []
    for text in expect.get('notes', []):
        assert any(text in note for note in result['notes']), result['notes']
    for key in ('changed', 'provisioner', 'actions', 'storage_class', 'claims', 'cluster', 'diff', 'already_deleted'):
        if key in expect:
            assert_contains(result.get(key), expect[key], key)
    for key in expect.get('storage_class_without', []):
        assert key not in result['storage_class']
    for key in expect.get('storage_class_annotations_without', []):
        assert key not in (result['storage_class']['metadata'].get('annotations') or {})


def state_of(cluster):
    return dict(storageclasses=sorted(cluster.classes), claims=sorted(cluster.claims),
                namespaces=sorted(cluster.namespaces))


@pytest.mark.parametrize('case', cases('kube/coe_storage_cases.yml'))
def test_coe_storage(case):
    cluster = fake_cluster(case['cluster'], **case.get('cluster_overrides', {}))
    before = state_of(cluster)
    failed, result = run_module(cluster, case['params'], case.get('check_mode', False), case.get('diff', False))
    check(failed, result, cluster, case['expect'])
    # What state_after does not list is what the run must have left as it was; a failed or check-mode run without
    # state_after must have left everything as it was.
    if 'state_after' in case or failed or case.get('check_mode'):
        expected = dict(before, **dict((key, sorted(names)) for key, names in case.get('state_after', {}).items()))
        assert state_of(cluster) == expected
    if 'rerun' in case:
        cluster.requests = []
        failed, result = run_module(cluster, case['params'], case['rerun'].get('check_mode', False))
        check(failed, result, cluster, case['rerun'])


def test_missing_kubernetes_library_gives_the_standard_message():
    # Submodules imported by earlier tests in this process must be hidden too, or the import finds them.
    import sys
    hidden = dict((name, None) for name in list(sys.modules) if name.split('.')[0] == 'kubernetes')
    hidden['kubernetes'] = None
    with mock.patch.dict('sys.modules', hidden), \
            module_exits({'storage_class': {'name': 'standard'}}):
        with pytest.raises(ModuleExit) as caught:
            coe_storage.main()
    assert caught.value.failed
    assert 'Failed to import the required Python library (kubernetes)' in caught.value.result['msg']


def test_loading_the_module_does_not_import_the_kubernetes_client():
    import os
    import subprocess
    import sys
    code = ('import sys; import ansible_collections.coe.magnum.plugins.modules.coe_storage; '
            'sys.exit(1 if "kubernetes" in sys.modules else 0)')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
    assert subprocess.call([sys.executable, '-c', code], env=env) == 0
