# -*- coding: utf-8 -*-
"""The layering rules of plugins/ (docs/architecture.md), checked on the code itself.

- Requests and URLs belong to the gateways: no other file builds a request path (a string starting with "/"
  formatted or concatenated, an f-string starting with "/", URL escaping or joining from urllib.parse), calls
  json_request, or imports an HTTP library.
- Errors become fail_json in the module base class only: no other file calls fail_json or exit_json.
- A module is imported under its own name: no import alias ending in _manifests (the storage/ files are named
  class_manifest and claim_manifest).
- A module file is an argument spec, documentation and a call into module_utils: one class on the base class with
  at most `validate` and `run` (each short), and `main`; no other function or class, so no orchestration there.

Each rule is also run on a planted violation, so that a rule that can no longer fail is noticed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os

import pytest

COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = os.path.join(COLLECTION, 'plugins')
UNIT_TESTS = os.path.join(COLLECTION, 'tests', 'unit')

# Paths relative to plugins/.
GATEWAYS = ('module_utils/magnum_api.py', 'module_utils/magnum_http.py', 'module_utils/heat.py',
            'module_utils/neutron.py', 'module_utils/survey_reads.py', 'module_utils/kube_client.py')
JSON_REQUEST_OWNERS = ('module_utils/magnum_api.py', 'module_utils/magnum_http.py')
# The base class turns errors into fail_json; CoeAnsibleModule (redaction.py) scrubs what fail_json and exit_json
# are given before it hands them on.
MODULE_EXIT_OWNERS = ('module_utils/base.py', 'module_utils/redaction.py')
URL_HELPERS = ('quote', 'quote_plus', 'urlencode', 'urljoin')
HTTP_LIBRARIES = ('requests', 'urllib.request', 'http.client', 'httplib', 'urllib3',
                  'ansible.module_utils.urls')
MODULE_METHODS = ('validate', 'run')
# The longest run() today reads the options into a call and shapes its result (19 lines); orchestration is longer.
MODULE_METHOD_LINES = 25


def _starts_a_path(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith('/')


def _builds_a_path(node):
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _starts_a_path(node.left)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _starts_a_path(node.left) or _starts_a_path(node.right)
    if isinstance(node, ast.JoinedStr):
        return bool(node.values) and _starts_a_path(node.values[0])
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == 'format':
        return _starts_a_path(node.func.value)
    return False


def _json_patch_paths(tree):
    """The `path` values of JSON patch operations ({'op': ..., 'path': '/labels/x'} or dict(op=..., path=...)):
    JSON Pointers into the document Magnum patches, not URLs."""
    paths = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = [key.value if isinstance(key, ast.Constant) else None for key in node.keys]
            if 'op' in keys and 'path' in keys:
                paths.add(id(node.values[keys.index('path')]))
        elif _called_name(node) == 'dict':
            keywords = dict((keyword.arg, keyword.value) for keyword in node.keywords)
            if 'op' in keywords and 'path' in keywords:
                paths.add(id(keywords['path']))
    return paths


def _imported_modules(node):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module:
        return [node.module] + ['%s.%s' % (node.module, alias.name) for alias in node.names]
    return []


def _called_name(node):
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
        if isinstance(node.func, ast.Name):
            return node.func.id
    return None


def _http_library(name):
    return any(name == library or name.startswith(library + '.') for library in HTTP_LIBRARIES)


def plugin_violations(plugins):
    """['<path>:<line>: <rule>'] for plugins/ (the folder given)."""
    found = []
    for path in _python_files(plugins):
        where = os.path.relpath(path, plugins).replace(os.sep, '/')
        tree = _parse(path)
        json_patch_paths = _json_patch_paths(tree)
        for node in ast.walk(tree):
            line = getattr(node, 'lineno', 0)
            modules = _imported_modules(node)
            if where not in GATEWAYS:
                if id(node) not in json_patch_paths and _builds_a_path(node):
                    found.append('%s:%d: a request path built outside the gateways' % (where, line))
                if any(_http_library(name) for name in modules):
                    found.append('%s:%d: an HTTP library imported outside the gateways' % (where, line))
                if any(name in ('urllib.parse.%s' % helper, 'six.moves.urllib.parse.%s' % helper)
                       for name in modules for helper in URL_HELPERS):
                    found.append('%s:%d: URL escaping or joining outside the gateways' % (where, line))
            if where not in JSON_REQUEST_OWNERS and _called_name(node) == 'json_request':
                found.append('%s:%d: json_request called outside MagnumApi' % (where, line))
            if where not in MODULE_EXIT_OWNERS and _called_name(node) in ('fail_json', 'exit_json'):
                found.append('%s:%d: %s called outside the module base class' % (where, line, _called_name(node)))
    return found + alias_violations(plugins) + module_shape_violations(plugins)


def module_shape_violations(plugins):
    found = []
    modules = os.path.join(plugins, 'modules')
    for path in _python_files(modules) if os.path.isdir(modules) else []:
        where = os.path.relpath(path, plugins).replace(os.sep, '/')
        classes = 0
        for node in _parse(path).body:
            if isinstance(node, ast.ClassDef):
                classes += 1
                if classes > 1:
                    found.append('%s:%d: a second class in a module file' % (where, node.lineno))
                for member in node.body:
                    if not isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        continue
                    if member.name not in MODULE_METHODS:
                        found.append('%s:%d: method %s in a module file (only %s)' % (
                            where, member.lineno, member.name, ', '.join(MODULE_METHODS)))
                    elif member.end_lineno - member.lineno + 1 > MODULE_METHOD_LINES:
                        found.append('%s:%d: %s() of %d lines in a module file (at most %d)' % (
                            where, member.lineno, member.name, member.end_lineno - member.lineno + 1,
                            MODULE_METHOD_LINES))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name != 'main':
                found.append('%s:%d: function %s in a module file (only main)' % (where, node.lineno, node.name))
    return found


def alias_violations(folder):
    found = []
    for path in _python_files(folder):
        for node in ast.walk(_parse(path)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.asname and alias.asname.endswith('_manifests'):
                        found.append('%s:%d: %s imported as %s' % (
                            os.path.relpath(path, folder), node.lineno, alias.name, alias.asname))
    return found


def _python_files(folder):
    for root, _dirs, files in os.walk(folder):
        for name in sorted(files):
            if name.endswith('.py'):
                yield os.path.join(root, name)


def _parse(path):
    with open(path, encoding='utf-8') as handle:
        return ast.parse(handle.read(), path)


def test_plugins_keep_the_house_rules():
    assert os.path.isdir(os.path.join(PLUGINS, 'module_utils')), PLUGINS
    assert plugin_violations(PLUGINS) == []


def test_unit_tests_import_modules_under_their_own_names():
    assert alias_violations(UNIT_TESTS) == []


PLANTED = [
    ('module_utils/storage/reconcile.py', "path = '/apis/%s/storageclasses' % version\n",
     'a request path built outside the gateways'),
    ('module_utils/cluster_probe.py', "path = kube_path('/api/v1/namespaces', ns) + '/services'\n",
     'a request path built outside the gateways'),
    ('module_utils/resolve.py', "url = f'/clusters/{ident}'\n", 'a request path built outside the gateways'),
    ('modules/magnum_cluster.py', "url = '/clusters/{}'.format(ident)\n",
     'a request path built outside the gateways'),
    ('module_utils/resolve.py', 'from urllib.parse import quote\n', 'URL escaping or joining outside the gateways'),
    ('module_utils/cloud_survey.py', 'import requests\n', 'an HTTP library imported outside the gateways'),
    ('module_utils/cloud_survey.py', 'from ansible.module_utils.urls import open_url\n',
     'an HTTP library imported outside the gateways'),
    ('module_utils/cluster/actions.py', "response, body = self.magnum.http.json_request('GET', path)\n",
     'json_request called outside MagnumApi'),
    ('module_utils/heat.py', "response, body = http.json_request('GET', path)\n",
     'json_request called outside MagnumApi'),
    ('module_utils/kube_client.py', "module.fail_json(msg='no kubernetes library')\n",
     'fail_json called outside the module base class'),
    ('modules/coe_storage.py', 'module.exit_json(**result)\n', 'exit_json called outside the module base class'),
    ('module_utils/cluster/plan.py', "request = {'method': 'PATCH', 'path': '/clusters/%s' % ident}\n",
     'a request path built outside the gateways'),
    ('module_utils/storage/reconcile.py',
     'from ansible_collections.coe.magnum.plugins.module_utils.storage import claim_manifest as claim_manifests\n',
     'imported as claim_manifests'),
    ('modules/magnum_cluster.py', 'def plan_steps(record, desired):\n    return []\n',
     'function plan_steps in a module file (only main)'),
]


@pytest.mark.parametrize('where, code, rule', PLANTED)
def test_a_planted_violation_is_found(tmp_path, where, code, rule):
    planted = tmp_path.joinpath(*where.split('/'))
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text(code)
    violations = plugin_violations(str(tmp_path))
    assert len(violations) == 1 and violations[0].startswith(where + ':1: ') and violations[0].endswith(rule), \
        violations


@pytest.mark.parametrize('where, code', [
    ('module_utils/magnum_api.py', "url = '/clusters/%s' % quote(ident, safe='')\n"),
    ('module_utils/magnum_api.py', "response, body = self.http.json_request('GET', url)\n"),
    ('module_utils/kube_client.py', "return '/'.join([base] + [quote(name, safe='')])\n"),
    ('module_utils/heat.py', 'from urllib.parse import quote\n'),
    ('module_utils/patch.py', "operations.append({'op': 'remove', 'path': '/labels/%s' % key})\n"),
    ('module_utils/cluster/plan.py', "operations.append(dict(op='replace', path='/%s' % field, value=wanted))\n"),
    ('module_utils/base.py', 'self.module.fail_json(msg=msg, **details)\n'),
    ('module_utils/cluster_probe.py', "nodes = self.client.get('/api/v1/nodes')\n"),
    ('module_utils/security_groups.py', "missing.append('/'.join(names))\n"),
    ('module_utils/storage/reconcile.py',
     'from ansible_collections.coe.magnum.plugins.module_utils.storage import claim_manifest\n'),
])
def test_what_the_rules_allow_is_not_reported(tmp_path, where, code):
    allowed = tmp_path.joinpath(*where.split('/'))
    allowed.parent.mkdir(parents=True, exist_ok=True)
    allowed.write_text(code)
    assert plugin_violations(str(tmp_path)) == []


@pytest.mark.parametrize('code, violation', [
    ('class ClusterPortsModule(MagnumModule):\n    pass\n\n\nclass Rules(object):\n    pass\n',
     '5: a second class in a module file'),
    ('class ClusterPortsModule(MagnumModule):\n    def _plan(self):\n        return []\n',
     '2: method _plan in a module file (only validate, run)'),
    ('class ClusterPortsModule(MagnumModule):\n    def run(self):\n' + '        step()\n' * 25,
     '2: run() of 26 lines in a module file (at most 25)'),
])
def test_orchestration_in_a_module_file_is_found(tmp_path, code, violation):
    planted = tmp_path / 'modules' / 'magnum_cluster_ports.py'
    planted.parent.mkdir()
    planted.write_text(code)
    assert plugin_violations(str(tmp_path)) == ['modules/magnum_cluster_ports.py:' + violation]
