# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubeconfig documents: rendering one cluster's access, reading an existing file, merging into a shared one."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import traceback

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError

try:
    import yaml
    HAS_YAML = True
    YAML_IMPORT_ERROR = None
except ImportError:
    HAS_YAML = False
    YAML_IMPORT_ERROR = traceback.format_exc()

EXEC_API_VERSION = 'client.authentication.k8s.io/v1beta1'
# The exec credential of magnumclient's `--use-keystone`: the token comes from OS_TOKEN at the moment kubectl
# needs it, so the file itself holds no secret.
KEYSTONE_TOKEN_SCRIPT = (
    'if [ -z "${OS_TOKEN}" ]; then\n'
    "    echo 'Error: Missing OpenStack credential from environment variable $OS_TOKEN' >&2\n"
    '    exit 1\n'
    'fi\n'
    'printf \'{"apiVersion": "%s", "kind": "ExecCredential", "status": {"token": "%%s"}}\\n\' "${OS_TOKEN}"\n'
    % EXEC_API_VERSION
)
SECTIONS = (('clusters', 'cluster'), ('users', 'user'), ('contexts', 'context'))


def keystone_exec_credential():
    """The `exec` user entry that hands the user's Keystone token (from OS_TOKEN) to kubectl."""
    return {
        'apiVersion': EXEC_API_VERSION,
        'command': '/bin/bash',
        'args': ['-c', KEYSTONE_TOKEN_SCRIPT],
        'interactiveMode': 'Never',
    }


def encode(pem):
    return base64.b64encode(pem.encode('ascii')).decode('ascii')


def decode(data):
    """PEM text of a base64 `*-data` field, or None when the field is missing or not base64."""
    if not data:
        return None
    try:
        return base64.b64decode(data, validate=True).decode('ascii')
    except (ValueError, TypeError, UnicodeDecodeError):
        return None


def render(server, cluster_name, user_name, context_name, ca_pem=None, client_cert_pem=None, client_key_pem=None,
           exec_credential=None):
    """A kubeconfig with one cluster, one user and one context, the context current.

    The CA, certificate and key are embedded as data, so the file works wherever it is copied to.
    """
    cluster = {'server': server}
    if ca_pem:
        cluster['certificate-authority-data'] = encode(ca_pem)
    user = {}
    if client_cert_pem and client_key_pem:
        user['client-certificate-data'] = encode(client_cert_pem)
        user['client-key-data'] = encode(client_key_pem)
    if exec_credential:
        user['exec'] = exec_credential
    return {
        'apiVersion': 'v1',
        'kind': 'Config',
        'clusters': [{'name': cluster_name, 'cluster': cluster}],
        'users': [{'name': user_name, 'user': user}],
        'contexts': [{'name': context_name, 'context': {'cluster': cluster_name, 'user': user_name}}],
        'current-context': context_name,
        'preferences': {},
    }


def require_yaml():
    if not HAS_YAML:
        raise CoeError('The PyYAML Python library is required (pip install PyYAML).', exception=YAML_IMPORT_ERROR)


if HAS_YAML:
    class _KubeconfigDumper(yaml.SafeDumper):
        """Block style for multi-line strings, so an exec script stays readable in the file."""

    def _represent_text(dumper, value):
        style = '|' if '\n' in value else None
        return dumper.represent_scalar('tag:yaml.org,2002:str', value, style=style)

    _KubeconfigDumper.add_representer(str, _represent_text)


def dump(document):
    require_yaml()
    return yaml.dump(document, Dumper=_KubeconfigDumper, default_flow_style=False, sort_keys=False, width=4096)


def yaml_error_summary(exc):
    """Where and why YAML text does not parse, without the excerpt of the text PyYAML quotes (it can be key
    material): for example `line 4, column 7: mapping values are not allowed here`."""
    mark = getattr(exc, 'problem_mark', None) or getattr(exc, 'context_mark', None)
    problem = getattr(exc, 'problem', None) or getattr(exc, 'context', None) or type(exc).__name__
    if mark is None:
        return str(problem)
    return 'line %d, column %d: %s' % (mark.line + 1, mark.column + 1, problem)


def parse(text, source, parameter):
    """The kubeconfig mapping of text (None for None); a CoeError naming the file and parameter when unreadable."""
    require_yaml()
    if text is None:
        return None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CoeError('%s %s is not a YAML kubeconfig: %s' % (parameter, source, yaml_error_summary(exc)),
                       parameter=parameter) from None
    if document is None:
        return {}
    if not isinstance(document, dict) or not all(isinstance(document.get(section) or [], list)
                                                 for section, _key in SECTIONS):
        raise CoeError('%s %s is not a kubeconfig (expected a mapping with clusters, users and contexts lists).'
                       % (parameter, source), parameter=parameter)
    return document


def _named(document, section, name):
    for item in (document or {}).get(section) or []:
        if isinstance(item, dict) and item.get('name') == name:
            return item
    return None


def access_of(document, context_name):
    """What the named context gives: server, CA, client certificate, key (PEM texts or None) and exec entry."""
    context = ((_named(document, 'contexts', context_name) or {}).get('context')) or {}
    cluster = ((_named(document, 'clusters', context.get('cluster')) or {}).get('cluster')) or {}
    user = ((_named(document, 'users', context.get('user')) or {}).get('user')) or {}
    return {
        'server': cluster.get('server'),
        'ca_pem': decode(cluster.get('certificate-authority-data')),
        'client_cert_pem': decode(user.get('client-certificate-data')),
        'client_key_pem': decode(user.get('client-key-data')),
        'exec': user.get('exec'),
    }


def merge(existing, addition):
    """existing with the clusters, users and contexts of addition added, or replacing those of the same name.

    Every other entry is kept as it was. The current context is kept when there is one, so that merging several
    clusters into one file does not flip it on each run; a file without one gets the addition's.
    """
    merged = dict(existing or {})
    merged.setdefault('apiVersion', 'v1')
    merged.setdefault('kind', 'Config')
    for section, _key in SECTIONS:
        entries = list(merged.get(section) or [])
        for entry in addition.get(section) or []:
            names = [item.get('name') if isinstance(item, dict) else None for item in entries]
            if entry['name'] in names:
                entries[names.index(entry['name'])] = entry
            else:
                entries.append(entry)
        merged[section] = entries
    if not merged.get('current-context'):
        merged['current-context'] = addition.get('current-context')
    merged.setdefault('preferences', {})
    return merged


def context_names(document):
    """The names of a kubeconfig's contexts, passing over entries that are not mappings."""
    return [item.get('name') for item in (document or {}).get('contexts') or [] if isinstance(item, dict)]
