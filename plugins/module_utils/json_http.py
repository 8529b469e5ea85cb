# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON over the connection's keystoneauth session: the transport of the collection's own gateways to Magnum
(magnum_http), Neutron (neutron) and the survey's Glance, Nova and Cinder (survey_reads)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from urllib.parse import urlparse


class HttpAnswerError(Exception):
    """An error answer of a service: its status, request ID and body (where the service puts its reason)."""

    def __init__(self, method, path, response):
        self.http_status = response.status_code
        self.request_id = response.headers.get('x-openstack-request-id') or response.headers.get('X-Request-Id')
        self.details = response.text or ''
        super(HttpAnswerError, self).__init__('%s %s: HTTP %s' % (method, path, self.http_status))


def send_json(session, method, url, path, body=None, headers=None, allow_reauth=True, error=HttpAnswerError):
    """(response, decoded body) of one request to `url` (`path` names it in errors). Connection failures come
    from keystoneauth as they are; an answer of 400 or more raises `error` with the service's body.

    allow_reauth=False: a 401 is answered as it is, without the session renewing its token (a read sent ahead
    leaves that to the module's own request, which keystoneauth retries once with a new token).
    """
    headers = dict(headers or {}, Accept='application/json')
    kwargs = {}
    if body is not None:
        headers['Content-Type'] = 'application/json'
        kwargs['data'] = json.dumps(body)
    response = session.request(url, method, headers=headers, raise_exc=False, allow_reauth=allow_reauth, **kwargs)
    if response.status_code >= 400:
        raise error(method, path, response)
    return response, decode(response)


def follow_pages(get, path, query, key, next_of):
    """Every record under `key` of a listing, page after page: get(path_and_query) gives a page's body and
    next_of(body) the next page's link, or None. Only the link's query is followed, on `path`: services behind a
    proxy often put their own host name in their links."""
    records = []
    while True:
        body = get(path + ('?' + query if query else '')) or {}
        records.extend(body.get(key) or [])
        following = next_of(body)
        query = urlparse(following).query if following else None
        if not query:
            return records


def next_link(links_key):
    """next_of for the `<collection>_links` of Neutron, Nova and Cinder: the href of the `next` entry."""
    def next_of(body):
        links = [link.get('href') for link in body.get(links_key) or [] if link.get('rel') == 'next']
        return links[0] if links else None
    return next_of


def decode(response):
    text = response.text if response.content else ''
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
