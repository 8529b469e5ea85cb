# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes connection: options shared with kubernetes.core, the kubeconfig, and JSON requests.

Requests go through the official client's ApiClient with plain paths rather than its typed APIs, because the
typed APIs of current clients no longer know storage.k8s.io/v1beta1, which Kubernetes 1.5 clusters serve.
The client is imported when a connection is made so that loading a module (and ansible-doc) stays cheap.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import importlib
import json
import os
import sys
import time
import traceback
from urllib.parse import quote

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.coe.magnum.plugins.module_utils.errors import CoeError, is_transport_error, is_unknown_outcome
from ansible_collections.coe.magnum.plugins.module_utils.kubeconfig import context_names, yaml_error_summary
from ansible_collections.coe.magnum.plugins.module_utils.light_import import submodules
from ansible_collections.coe.magnum.plugins.module_utils.retry import call_with_retries, create_once

# Names, aliases and environment variables as kubernetes.core's k8s_auth_options, so playbooks and
# module_defaults written for kubernetes.core carry over.
KUBE_CONNECTION_ARGSPEC = dict(
    kubeconfig=dict(type='raw', fallback=(env_fallback, ['K8S_AUTH_KUBECONFIG'])),
    context=dict(type='str', fallback=(env_fallback, ['K8S_AUTH_CONTEXT'])),
    host=dict(type='str', fallback=(env_fallback, ['K8S_AUTH_HOST'])),
    api_key=dict(type='str', no_log=True, fallback=(env_fallback, ['K8S_AUTH_API_KEY'])),
    validate_certs=dict(type='bool', aliases=['verify_ssl'], fallback=(env_fallback, ['K8S_AUTH_VERIFY_SSL'])),
    ca_cert=dict(type='path', aliases=['ssl_ca_cert'], fallback=(env_fallback, ['K8S_AUTH_SSL_CA_CERT'])),
    client_cert=dict(type='path', aliases=['cert_file'], fallback=(env_fallback, ['K8S_AUTH_CERT_FILE'])),
    client_key=dict(type='path', aliases=['key_file'], no_log=False,
                    fallback=(env_fallback, ['K8S_AUTH_KEY_FILE'])),
    username=dict(type='str', fallback=(env_fallback, ['K8S_AUTH_USERNAME'])),
    password=dict(type='str', no_log=True, fallback=(env_fallback, ['K8S_AUTH_PASSWORD'])),
    proxy=dict(type='str', fallback=(env_fallback, ['K8S_AUTH_PROXY'])),
    no_proxy=dict(type='str', fallback=(env_fallback, ['K8S_AUTH_NO_PROXY'])),
    proxy_headers=dict(type='dict', options=dict(
        proxy_basic_auth=dict(type='str', no_log=True),
        basic_auth=dict(type='str', no_log=True),
        user_agent=dict(type='str'),
    )),
    persist_config=dict(type='bool', fallback=(env_fallback, ['K8S_AUTH_PERSIST_CONFIG'])),
    impersonate_user=dict(type='str', fallback=(env_fallback, ['K8S_AUTH_IMPERSONATE_USER'])),
    impersonate_groups=dict(type='list', elements='str'),
    api_timeout=dict(type='int'),
)

# Every request has a timeout, so a server that stops answering fails the request instead of hanging the task.
REQUEST_TIMEOUT = 60


def kube_connection_argument_spec(**extra):
    spec = dict((name, dict(option)) for name, option in KUBE_CONNECTION_ARGSPEC.items())
    spec.update(extra)
    return spec


class KubeError(CoeError):
    """A Kubernetes request that failed; `status` is the HTTP status (None when the server was not reached)."""

    def __init__(self, msg, status=None, reason=None):
        details = {} if status is None else {'status_code': status}
        super(KubeError, self).__init__(msg, **details)
        self.status = status
        self.status_code = status
        self.reason = reason


class KubeUnreachable(KubeError, ConnectionError):
    """The request did not reach the API server, or its answer was lost."""


def status_message(status, body):
    """The server's own explanation: the `message` of the Status object it answers errors with."""
    text = body.decode('utf-8', 'replace') if isinstance(body, bytes) else (body or '')
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get('message'):
        return str(parsed['message'])
    text = ' '.join(text.split())
    return text[:300] if text else 'HTTP %s' % status


def _kubeconfig_source(kubeconfig):
    """(path, content dict) from the kubeconfig option, which takes a path, a dict or the YAML text of a file."""
    if kubeconfig is None:
        return None, None
    if isinstance(kubeconfig, dict):
        return None, kubeconfig
    if not isinstance(kubeconfig, str):
        raise CoeError('kubeconfig must be a path, the text of a kubeconfig or a dict, not %s'
                       % type(kubeconfig).__name__)
    text = kubeconfig.strip()
    if '\n' not in text and not text.startswith('{'):
        path = os.path.expanduser(kubeconfig)
        if not os.path.exists(path):
            raise CoeError('kubeconfig: file %s does not exist' % path)
        if os.path.isdir(path):
            raise CoeError('kubeconfig: %s is a directory, not a kubeconfig file' % path)
        # Read here so that a broken file is reported by line and column: the kubernetes client would let
        # PyYAML's message through, which quotes the offending line (perhaps a key).
        try:
            with open(path) as handle:
                _kubeconfig_mapping(handle.read(), 'file %s' % path)
        except (OSError, UnicodeDecodeError) as exc:
            raise CoeError('kubeconfig: cannot read %s: %s' % (path, getattr(exc, 'strerror', None) or exc)) from None
        return path, None
    return None, _kubeconfig_mapping(kubeconfig, 'the text given')


def _kubeconfig_mapping(text, source):
    import yaml  # the kubernetes client depends on PyYAML
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CoeError('kubeconfig: %s is not YAML (%s)' % (source, yaml_error_summary(exc))) from None
    if not isinstance(content, dict):
        raise CoeError('kubeconfig: %s is not a kubeconfig mapping' % source)
    if not content.get('current-context') and not content.get('contexts'):
        raise CoeError('kubeconfig: %s has no contexts and no current-context' % source)
    return content


# Options that set the kubernetes Configuration attribute of the same meaning as they are given.
CONFIGURATION_ATTRIBUTES = (('host', 'host'), ('ca_cert', 'ssl_ca_cert'), ('client_cert', 'cert_file'),
                            ('client_key', 'key_file'), ('proxy', 'proxy'), ('no_proxy', 'no_proxy'))


def _replace_credential(configuration, authorization):
    """Sends `authorization` instead of any credential of the kubeconfig, including a token it would refresh."""
    configuration.api_key = {'authorization': authorization}
    configuration.refresh_api_key_hook = None


def _read_mapping(path):
    with open(path) as handle:
        return _kubeconfig_mapping(handle.read(), 'file %s' % path)


def client_library():
    """kubernetes.client and kubernetes.config with what requests by path use: Configuration, ApiClient, the
    exceptions and the kubeconfig loader. The __init__ files of `kubernetes` and `kubernetes.client` import every
    typed API and model class of the client (and its watch, stream and dynamic packages); when the client is not
    loaded yet they are skipped (light_import), and the model classes, which ApiClient imports for typed responses,
    load on their first use, which requests by path never make. Raises ImportError without the client."""
    submodules('kubernetes')
    configuration, api_client, _exceptions = submodules('kubernetes.client', 'configuration', 'api_client',
                                                        'exceptions')
    client = sys.modules['kubernetes.client']
    # What kubernetes.config imports from the package, as the skipped __init__ would have given it.
    for name, value in (('Configuration', configuration.Configuration), ('ApiClient', api_client.ApiClient)):
        if not hasattr(client, name):
            setattr(client, name, value)
    sys.modules['kubernetes'].client = client
    return client, importlib.import_module('kubernetes.config')


def build_configuration(params):
    """A kubernetes Configuration from the connection options, and a label naming the cluster for messages."""
    kube_client_lib, kube_config = client_library()
    from kubernetes.config.config_exception import ConfigException

    configuration = kube_client_lib.Configuration()
    path, content = _kubeconfig_source(params.get('kubeconfig'))
    context = params.get('context')
    use_kubeconfig = path is not None or content is not None or not params.get('host')
    if use_kubeconfig:
        if path is None and content is None:
            path = os.path.expanduser(os.environ.get('KUBECONFIG', '~/.kube/config').split(os.pathsep)[0])
            if not os.path.exists(path):
                raise CoeError('No Kubernetes connection given: set kubeconfig (a path or its content) or host '
                               '(no kubeconfig found at %s)' % path)
        try:
            if path is not None:
                kube_config.load_kube_config(config_file=path, context=context, client_configuration=configuration,
                                             persist_config=bool(params.get('persist_config')))
            else:
                kube_config.load_kube_config_from_dict(content, context=context, client_configuration=configuration,
                                                       persist_config=False)
        except ConfigException as exc:
            names = context_names(content if content is not None else _read_mapping(path))
            if context and context not in names:
                raise CoeError('context: %s is not a context of the kubeconfig (contexts: %s)'
                               % (context, ', '.join(name for name in names if name) or 'none')) from None
            if not context and not (content or _read_mapping(path)).get('current-context'):
                raise CoeError('kubeconfig %s has no current-context: set context (contexts: %s)'
                               % (path or '(content)', ', '.join(name for name in names if name) or 'none')) from None
            raise CoeError('kubeconfig %s is not usable: %s' % (path or '(content)', exc)) from None
    for option, attribute in CONFIGURATION_ATTRIBUTES:
        if params.get(option):
            setattr(configuration, attribute, params[option])
    if params.get('validate_certs') is not None:
        configuration.verify_ssl = params['validate_certs']
    if params.get('api_key'):
        _replace_credential(configuration, 'Bearer %s' % params['api_key'])
    elif params.get('username') and params.get('password'):
        # HTTP basic auth, which API servers before Kubernetes 1.19 accept, in the Authorization header the
        # client's BearerToken setting carries: current clients have no basic auth setting.
        credentials = base64.b64encode(('%s:%s' % (params['username'], params['password'])).encode('utf-8'))
        _replace_credential(configuration, 'Basic %s' % credentials.decode('ascii'))
    if params.get('proxy_headers'):
        import urllib3  # the kubernetes client depends on urllib3
        configuration.proxy_headers = urllib3.util.make_headers(
            **dict((name, value) for name, value in params['proxy_headers'].items() if value is not None))
    label = configuration.host
    if context:
        label = '%s (context %s)' % (label, context)
    return configuration, label


# Path segments that escaping leaves as they are but that a URL resolves: urllib3 removes "." and ".." segments
# (".../namespaces/.." would read /api/v1), and an empty name names the collection. Kubernetes allows none of them.
UNNAMEABLE = ('', '.', '..')


def kube_path(base, *names):
    """A Kubernetes API path: `base` as written in the code, then each name escaped. The client sends a path as it
    is given (it quotes only the parameters of its typed APIs), so a name is escaped here, where paths are built."""
    for name in names:
        if str(name) in UNNAMEABLE:
            raise CoeError('%r cannot be the name of a Kubernetes object (%s)' % (str(name), base.rstrip('/')))
    return '/'.join([base.rstrip('/')] + [quote(str(name), safe='') for name in names])


def api_path(api_version, *names):
    """The path of a resource of an API version as a manifest names it (v1, storage.k8s.io/v1): /api/<version>/...
    for the core group, /apis/<group>/<version>/... for the others, then each name escaped as in kube_path."""
    if '/' in api_version:
        group, version = api_version.split('/', 1)
        return kube_path('/apis', group, version, *names)
    return kube_path('/api', api_version, *names)


def merge_patched(obj, patch):
    """What a JSON merge patch (RFC 7386) does to obj."""
    result = dict(obj)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_patched(result[key], value)
        elif value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


class KubeClient:
    """JSON requests to one Kubernetes API server, errors turned into KubeError naming the server."""

    def __init__(self, api_client, label, sleep=time.sleep, timeout=REQUEST_TIMEOUT, impersonate_user=None,
                 impersonate_groups=()):
        self.api_client = api_client
        self.label = label
        self.sleep = sleep
        self.timeout = timeout
        self.impersonation = [('Impersonate-User', impersonate_user)] if impersonate_user else []
        # One header per group: the API server reads each Impersonate-Group header as one group name.
        self.impersonation.extend(('Impersonate-Group', group) for group in impersonate_groups or ())
        from kubernetes.client.exceptions import ApiException
        self._api_exception = ApiException

    def _send(self, method, path, body, query, content_type):
        headers = {'Accept': 'application/json'}
        if body is not None:
            headers['Content-Type'] = content_type or 'application/json'
        client = self.api_client
        try:
            if hasattr(client, 'param_serialize'):
                request = client.param_serialize(method, path, query_params=list(query or []),
                                                 header_params=headers, body=body, auth_settings=['BearerToken'])
                request = self._impersonating(request)
                response = client.call_api(*request, _request_timeout=self.timeout)
                data = response.read()
                if not 200 <= response.status <= 299:
                    raise self._failure(method, path, response.status, data)
            else:
                # kubernetes clients before 35 have the older generator's call_api, which sends a dict of headers.
                if len([name for name, value in self.impersonation if name == 'Impersonate-Group']) > 1:
                    raise KubeError('impersonate_groups: more than one group needs the kubernetes Python client 35 '
                                    'or later (each group is a header of its own)')
                headers.update(self.impersonation)
                data = client.call_api(path, method, query_params=list(query or []), header_params=headers,
                                       body=body, auth_settings=['BearerToken'], _preload_content=False,
                                       _return_http_data_only=True, _request_timeout=self.timeout).data
        except self._api_exception as exc:
            raise self._failure(method, path, exc.status, exc.body) from None
        except KubeError:
            raise
        except Exception as exc:
            if not is_transport_error(exc):  # a fault of the collection: not worded (nor retried) as unreachable
                raise
            # urllib3, ssl and socket raise many types; all mean the server was not reached.
            reason = getattr(exc, 'reason', None) or exc
            raise KubeUnreachable('Cannot reach the Kubernetes API at %s: %s'
                                  % (self.label, ' '.join(str(reason).split())), reason=str(reason)) from exc
        if not data:
            return {}
        try:
            return json.loads(data.decode('utf-8') if isinstance(data, bytes) else data)
        except ValueError:
            raise KubeError('Kubernetes API at %s answered %s %s with something that is not JSON'
                            % (self.label, method, path)) from None

    def _impersonating(self, request):
        """The serialized request (method, url, headers, body, post_params) with the impersonation headers."""
        if not self.impersonation:
            return request
        from urllib3._collections import HTTPHeaderDict  # where urllib3 1.26 and 2.x both have it
        headers = HTTPHeaderDict(request[2])
        for name, value in self.impersonation:
            headers.add(name, value)
        return (request[0], request[1], headers) + tuple(request[3:])

    def _failure(self, method, path, status, body):
        message = status_message(status, body)
        if status == 401:
            return KubeError('Kubernetes API at %s rejected the credentials (401 Unauthorized): check the client '
                             'certificate or token of the kubeconfig' % self.label, status=status, reason=message)
        return KubeError('Kubernetes API at %s: %s %s failed: %s (HTTP %s)'
                         % (self.label, method, path, message, status), status=status, reason=message)

    def request(self, method, path, body=None, query=None, content_type=None):
        """One request, never repeated: writes are retried only where a lost answer cannot cause a duplicate."""
        return self._send(method, path, body, query, content_type)

    def get(self, path, query=None):
        """A read, retried with backoff on connection errors and 5xx answers."""
        return call_with_retries(lambda: self._send('GET', path, None, query, None), sleep=self.sleep)

    def find(self, path):
        """The object at path, or None when the server says it does not exist."""
        try:
            return self.get(path)
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise

    def create(self, collection_path, body):
        """POST an object; after a lost answer, look it up by name before trying again so none is made twice."""
        created, _found_by_lookup = create_once(
            lambda: self._send('POST', collection_path, body, None, None),
            lambda: self.find(kube_path(collection_path, body['metadata']['name'])),
            # An object name is unique in its collection: a second POST can be refused, never make a duplicate.
            settle_seconds=0, sleep=self.sleep, resend_unknown=True)
        return created

    def latest_event(self, namespace, name):
        """The message of an object's newest event, which says for example why a claim has not been provisioned;
        None when there is none or the events cannot be read."""
        try:
            events = self.get(kube_path('/api/v1/namespaces', namespace, 'events'),
                              query=[('fieldSelector', 'involvedObject.name=%s' % name)])
        except KubeError:
            return None
        items = [item for item in events.get('items') or []
                 if (item.get('involvedObject') or {}).get('name') == name]
        if not items:
            return None
        newest = max(items, key=lambda item: item.get('lastTimestamp') or item.get('eventTime') or '')
        return newest.get('message')

    def _confirmed(self, send, path, carried_out):
        """send() once; when its outcome is unknown (a 5xx, a lost answer, a timeout) the object is read, and
        carried_out(object or None) tells whether the write is done: then that is the outcome (the read object, or
        {}), else the error stands. The write is never sent twice."""
        try:
            return send()
        except Exception as exc:
            if not is_unknown_outcome(exc):
                raise
            try:
                current = self.find(path)
            except KubeError:
                raise exc from None
            if not carried_out(current):
                raise
            return current or {}

    def merge_patch(self, path, patch):
        """PATCH with a JSON merge patch; after an unknown outcome, done when the object already holds the patch."""
        return self._confirmed(
            lambda: self.request('PATCH', path, body=patch, content_type='application/merge-patch+json'), path,
            lambda current: current is not None and merged_patch_holds(current, patch))

    def delete(self, path):
        """DELETE; after an unknown outcome, done when the object is gone or being deleted (it has finalizers)."""
        return self._confirmed(
            lambda: self.request('DELETE', path), path,
            lambda current: current is None or bool((current.get('metadata') or {}).get('deletionTimestamp')))


def merged_patch_holds(obj, patch):
    return merge_patched(obj, patch) == obj


def connect(params, sleep=time.sleep):
    """A KubeClient from the module's connection options; a CoeError names a missing library or a bad option."""
    try:
        kube_client_lib = client_library()[0]
    except ImportError as exc:
        raise CoeError(missing_required_lib('kubernetes'), exception=traceback.format_exc()) from exc
    configuration, label = build_configuration(params)
    return KubeClient(kube_client_lib.ApiClient(configuration=configuration), label, sleep=sleep,
                      timeout=params.get('api_timeout') or REQUEST_TIMEOUT,
                      impersonate_user=params.get('impersonate_user'),
                      impersonate_groups=params.get('impersonate_groups'))
