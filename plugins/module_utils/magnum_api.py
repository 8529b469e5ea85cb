# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Magnum client: its REST API over the openstacksdk session, with microversion gates."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
from urllib.parse import quote, urlencode


from ansible_collections.coe.magnum.plugins.module_utils.run_cache import (
    cached_fact, cached_version_range, remember_fact, remember_version_range,
)
from ansible_collections.coe.magnum.plugins.module_utils.errors import (
    CoeError, capitalised, http_status_of, is_retryable,
)
from ansible_collections.coe.magnum.plugins.module_utils.magnum_http import MagnumHttp
from ansible_collections.coe.magnum.plugins.module_utils.openstack import service_endpoint
from ansible_collections.coe.magnum.plugins.module_utils.prefetch import read_ahead
from ansible_collections.coe.magnum.plugins.module_utils.retry import call_with_retries

# Every call is made at the lowest microversion that has what it needs, so the oldest clouds keep working.
BASE_VERSION = '1.1'
FEATURE_VERSIONS = {
    'ca_rotation': '1.5',
    'resize': '1.7',
    'upgrade': '1.8',
    'nodegroups': '1.9',
    'zero_node_count': '1.10',
}
FEATURE_DESCRIPTIONS = {
    'ca_rotation': 'CA certificate rotation',
    'resize': 'the cluster resize action',
    'upgrade': 'the cluster upgrade action',
    'nodegroups': 'node groups',
    'zero_node_count': 'a node count of 0',
}


def parse_version(text):
    """'1.7', 'container-infra 1.7' or 'container-infrastructure-management 1.7' (Magnum 23's headers) -> (1, 7)."""
    words = (text or '').split()
    major, _dot, minor = (words[-1] if words else '').partition('.')
    return int(major), int(minor or 0)


def format_version(version):
    return '%d.%d' % version


def version_range_from(headers, body):
    """The server's (min, max) from the version headers, else from the version document."""
    lowered = dict((str(k).lower(), v) for k, v in (headers or {}).items())
    low = lowered.get('openstack-api-minimum-version')
    high = lowered.get('openstack-api-maximum-version')
    if low and high:
        return parse_version(low), parse_version(high)
    documents = []
    if isinstance(body, dict):
        documents = body.get('versions') or [body.get('version') or body]
    for document in documents:
        if isinstance(document, dict) and document.get('max_version'):
            return parse_version(document.get('min_version') or BASE_VERSION), parse_version(document['max_version'])
    # A server that advertises nothing predates microversions: it serves the base version only.
    return parse_version(BASE_VERSION), parse_version(BASE_VERSION)


def is_transient_read(exc):
    """A read of one record never legitimately fails with 400, yet Magnum answers so for a moment while a new
    cluster's node groups are not written yet (its master_count reads 0)."""
    return is_retryable(exc) or http_status_of(exc) == 400


def _list_retryable(exc):
    """A list never legitimately fails with 400 or 404, yet Magnum answers so for a moment while a cluster row
    (400) or the template of a cluster being deleted (404) is half removed."""
    return is_retryable(exc) or http_status_of(exc) in (400, 404)


def _none_if_missing(read):
    try:
        return read()
    except Exception as exc:
        if http_status_of(exc) == 404:
            return None
        raise


def addressable(ident):
    """Whether a name or ID can be a segment of a Magnum path. Magnum's router (pecan) decodes an escaped `/`
    before it splits the path, and `.` or `..` are not names to any HTTP stack: such a record is found by listing."""
    return bool(ident) and ident not in ('.', '..') and '/' not in ident


def path_of(*segments):
    """The path of a Magnum resource, every segment escaped: `#`, `?`, `%`, spaces and non-ASCII letters reach
    Magnum as the name they are part of, never as a fragment, query, escape or another resource."""
    for segment in segments:
        if not addressable(str(segment)):
            raise CoeError('%r cannot be part of a Magnum URL; look it up by listing.' % (segment,))
    return '/' + '/'.join(quote(str(segment), safe='') for segment in segments)


# Magnum refuses to change these on a template that clusters use, and a template's UUID is never reused.
TEMPLATE_FACTS = ('coe', 'tls_disabled')


class StaleVersionRange(CoeError):
    """Magnum refused a microversion that the cached range of its API versions promised: the server changed
    (rolled back, or a mixed fleet behind one endpoint) since the range was cached. The range is read again; the
    module decides again with it (MagnumModule.execute)."""


def _refused_microversion(exc):
    details = getattr(exc, 'details', None)
    status = details.get('status_code') if isinstance(details, dict) else None
    return (status or http_status_of(exc)) == 406


def template_facts_of(template):
    return dict((name, template.get(name)) for name in TEMPLATE_FACTS)


class MagnumApi:
    """Magnum's resources over one session, and what the server's API version allows."""

    def __init__(self, connection, http=None):
        self._connection = connection
        self._http = http
        self._version_range = None
        self._range_from_cache = False
        self._endpoint = None

    @property
    def http(self):
        if self._http is None:
            endpoint = service_endpoint(self._connection, 'container-infra')
            if not endpoint:
                raise CoeError('The cloud has no container-infra (Magnum) endpoint in region %s.'
                               % self._connection.config.get_region_name('container-infra'))
            self._endpoint = endpoint
            self._http = MagnumHttp(self._connection.session, endpoint, BASE_VERSION)
        return self._http

    @property
    def endpoint(self):
        """Magnum's URL from the catalog, which also keys the cached version range."""
        return self.http and self._endpoint

    def version_range(self):
        """(min, max) microversions of the server, read once per module run and only when a feature needs it."""
        if self._version_range is None:
            self._version_range = cached_version_range(self._connection, self.endpoint)
            self._range_from_cache = self._version_range is not None
            if self._version_range is None:
                self._read_version_range()
        return self._version_range

    def server_version_range(self):
        """(min, max) as the server answers now, never from the cache: for reports of what the cloud serves."""
        if self._range_from_cache or self._version_range is None:
            self._read_version_range()
        return self._version_range

    def _read_version_range(self):
        response, body = self.http.json_request('GET', '/')
        self._version_range = version_range_from(response.headers, body)
        self._range_from_cache = False
        remember_version_range(self._connection, self.endpoint, self._version_range)

    def supports(self, feature):
        needed = parse_version(FEATURE_VERSIONS[feature])
        if self.version_range()[1] < needed and self._range_from_cache:
            # A cached range (up to an hour old) is not enough to refuse: the cloud may have been upgraded since.
            self._read_version_range()
        return self.version_range()[1] >= needed

    def require(self, feature, purpose=None):
        if not self.supports(feature):
            needed = FEATURE_VERSIONS[feature]
            raise CoeError(
                '%s needs Magnum API %s (%s); this cloud serves at most %s.' % (
                    purpose or capitalised(FEATURE_DESCRIPTIONS[feature]), needed,
                    FEATURE_DESCRIPTIONS[feature], format_version(self.version_range()[1])),
                needed_api_version=needed, server_api_version=format_version(self.version_range()[1]))

    @contextlib.contextmanager
    def at(self, feature):
        """Make the calls inside at the feature's microversion (failing clearly when the cloud is too old)."""
        self.require(feature)
        previous = self.http.api_version
        self.http.api_version = FEATURE_VERSIONS[feature]
        try:
            yield
        except Exception as exc:
            if not (self._range_from_cache and _refused_microversion(exc)):
                raise
            self.http.api_version = previous  # the version document is read at the base version
            self._read_version_range()
            raise StaleVersionRange(
                'Magnum refused API %s, which its cached version range allowed; it now serves %s to %s.' % (
                    FEATURE_VERSIONS[feature], format_version(self._version_range[0]),
                    format_version(self._version_range[1]))) from exc
        finally:
            self.http.api_version = previous

    # Thin resource helpers: records are plain dicts.
    def get(self, collection, ident, sleep=None):
        """One record; transient errors are retried, pausing with `sleep` (a waiter passes its own)."""
        path = path_of(collection, ident)
        record = call_with_retries(lambda: self.http.json_request('GET', path)[1],
                                   retryable=is_transient_read, sleep=sleep)
        if collection == 'clustertemplates' and isinstance(record, dict) and record.get('coe'):
            remember_fact(self._connection, 'template_facts', record.get('uuid'), template_facts_of(record))
        return record

    def read_ahead(self, collection, ident):
        """A GET of one record sent in a thread of its own (module_utils.prefetch), or None when it cannot go
        ahead: its answer is a guess the caller checks, never retried, never reported."""
        if not addressable(str(ident)):
            return None
        http = self.http  # set up in this thread, not in two
        path = path_of(collection, ident)
        return read_ahead(self._connection, lambda: http.json_request('GET', path, allow_reauth=False)[1])

    def find(self, collection, ident, sleep=None):
        """One record, or None when Magnum answers 404: the one place where "not found" becomes None."""
        return _none_if_missing(lambda: self.get(collection, ident, sleep=sleep))

    def template_facts(self, template_uuid):
        """The coe and tls_disabled of a cluster's template: from the cache when a task has read the template
        before, else read from Magnum."""
        facts = cached_fact(self._connection, 'template_facts', template_uuid)
        if not isinstance(facts, dict) or not facts.get('coe'):
            facts = template_facts_of(self.get('clustertemplates', template_uuid))
        return facts

    def list(self, collection, **query):
        """Every record of a collection, following Magnum's `next` links."""
        items = []
        url = path_of(collection, 'detail')
        if query:
            url += '?' + urlencode(sorted(query.items()))
        while url:
            body = call_with_retries(lambda page=url: self.http.json_request('GET', page)[1], retryable=_list_retryable)
            items.extend(body.get(collection, []))
            next_link = body.get('next')
            url = next_link[next_link.find('/%s' % collection):] if next_link else None
        return items

    def named(self, collection, name):
        """The records whose name is exactly `name`, from the list: for names no path can carry."""
        return [record for record in self.list(collection) if record.get('name') == name]

    def cluster_quota(self, project_id):
        """How many clusters the project may have: its own quota, else Magnum's max_clusters_per_project."""
        _response, body = self.http.json_request('GET', path_of('quotas', project_id, 'Cluster'))
        return body.get('hard_limit')

    def create(self, collection, fields):
        _response, body = self.http.json_request('POST', path_of(collection), body=fields)
        return body

    def patch(self, collection, ident, operations):
        _response, body = self.http.json_request('PATCH', path_of(collection, ident), body=operations)
        return body

    def delete(self, collection, ident):
        self.http.json_request('DELETE', path_of(collection, ident))

    # Node groups (API 1.9): a cluster's sub-collection. Callers enter `at('nodegroups')` (or higher) first.
    def list_nodegroups(self, cluster_uuid):
        """A cluster's node groups in Magnum's short form (no labels, no min/max counts)."""
        path = path_of('clusters', cluster_uuid, 'nodegroups')
        body = call_with_retries(lambda: self.http.json_request('GET', path)[1], retryable=_list_retryable)
        return (body or {}).get('nodegroups', [])

    def get_nodegroup(self, cluster_uuid, ident, sleep=None):
        """One node group in full, by name or ID."""
        path = path_of('clusters', cluster_uuid, 'nodegroups', ident)
        return call_with_retries(lambda: self.http.json_request('GET', path)[1], retryable=is_transient_read,
                                 sleep=sleep)

    def find_nodegroup(self, cluster_uuid, ident, sleep=None):
        """One node group in full, or None when the cluster has no such group (404)."""
        return _none_if_missing(lambda: self.get_nodegroup(cluster_uuid, ident, sleep=sleep))

    def create_nodegroup(self, cluster_uuid, fields):
        return self.http.json_request('POST', path_of('clusters', cluster_uuid, 'nodegroups'), body=fields)[1]

    def patch_nodegroup(self, cluster_uuid, ident, operations):
        return self.http.json_request('PATCH', path_of('clusters', cluster_uuid, 'nodegroups', ident),
                                      body=operations)[1]

    def delete_nodegroup(self, cluster_uuid, ident):
        self.http.json_request('DELETE', path_of('clusters', cluster_uuid, 'nodegroups', ident))

    def cluster_action(self, cluster_uuid, action, body):
        """POST /clusters/<uuid>/actions/<action> (resize 1.7, upgrade 1.8)."""
        self.http.json_request('POST', path_of('clusters', cluster_uuid, 'actions', action), body=body)

    def rotate_ca(self, cluster_uuid):
        """PATCH /certificates/<uuid>: Magnum replaces the cluster's CA (API 1.5)."""
        self.http.json_request('PATCH', path_of('certificates', cluster_uuid))
