# -*- coding: utf-8 -*-
# Copyright: (c) 2026, coe.magnum contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors the modules raise, and the translation of cloud client errors into them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import traceback

# Packages whose exceptions are the cloud's or the network's answer; any other exception that is not a CoeError
# is a fault of the collection itself and is reported as one, not as the cloud failing.
CLIENT_PACKAGES = ('openstack', 'keystoneauth1', 'requests', 'urllib3', 'http', 'ssl', 'socket', 'kubernetes',
                   'json', 'dogpile', 'os_service_types')


def capitalised(text):
    """`text` with its first letter upper-cased and the rest as it is (str.capitalize lowercases a name's capitals,
    and an acronym's: "Ca certificate rotation")."""
    return text[:1].upper() + text[1:]


class CoeError(Exception):
    """A failure to report through fail_json: `msg` for people, `details` for machines."""

    def __init__(self, msg, **details):
        super(CoeError, self).__init__(msg)
        self.msg = msg
        self.details = details


class UnexpectedError(CoeError):
    """An exception no code of the collection expected: a fault to fix, reported with its type and where it
    happened rather than worded as a refusal of the cloud."""

    def __init__(self, exc, action):
        frames = traceback.extract_tb(exc.__traceback__)
        where = ''
        if frames:
            last = frames[-1]
            where = ' at %s:%s in %s' % (os.path.basename(last.filename), last.lineno, last.name)
        msg = 'Failed to %s: unexpected %s%s: %s (a fault of coe.magnum, not of the cloud)' % (
            action, type(exc).__name__, where, exc)
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-4)
        super(UnexpectedError, self).__init__(msg, traceback=''.join(lines).splitlines())
        self.exc_type = type(exc).__name__


class CloudCallError(CoeError):
    """A request the cloud refused or could not answer."""

    def __init__(self, msg, status=None, request_id=None, reason=None):
        details = {}
        if status is not None:
            details['status_code'] = status
        if request_id:
            details['request_id'] = request_id
        super(CloudCallError, self).__init__(msg, **details)
        self.status = status
        self.request_id = request_id
        self.reason = reason


def _service_reason(exc):
    """The service's own explanation, as the various client libraries carry it."""
    for attribute in ('details', 'message'):
        value = getattr(exc, attribute, None)
        if isinstance(value, str) and value.strip():
            parsed = _reason_from_body(value)
            if parsed:
                return parsed
    response = getattr(exc, 'response', None)
    if response is not None:
        parsed = _reason_from_body(getattr(response, 'text', '') or '')
        if parsed:
            return parsed
    return str(exc)


def _reason_from_body(text):
    """Magnum wraps its reason in JSON (`errors[].detail` or `faultstring`); others send it plain."""
    text = text.strip()
    if not text.startswith('{'):
        return text
    try:
        body = json.loads(text)
    except ValueError:
        return text
    errors = body.get('errors') if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return errors[0].get('detail') or errors[0].get('title') or text
    if isinstance(body, dict):
        for key in ('faultstring', 'message', 'detail'):
            if isinstance(body.get(key), str):
                return body[key]
        for value in body.values():
            if isinstance(value, dict) and isinstance(value.get('message'), str):
                return value['message']
    return text


def http_status_of(exc):
    """The HTTP status of a client exception, whichever library raised it (None if not HTTP)."""
    for attribute in ('status_code', 'http_status', 'code'):
        value = getattr(exc, attribute, None)
        if isinstance(value, int) and value >= 100:
            return value
    response = getattr(exc, 'response', None)
    status = getattr(response, 'status_code', None)
    return status if isinstance(status, int) else None


def request_id_of(exc):
    request_id = getattr(exc, 'request_id', None)
    if request_id:
        return request_id
    headers = getattr(getattr(exc, 'response', None), 'headers', None) or {}
    return headers.get('x-openstack-request-id') or headers.get('X-OpenStack-Request-ID')


def is_connection_error(exc):
    """True for failures where the request may not have reached the service or its answer was lost."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {'ConnectFailure', 'ConnectionError', 'ConnectTimeout', 'RetriableConnectionFailure',
                         'SSLError', 'RemoteDisconnected', 'ConnectionResetError', 'ProtocolError'})


def is_cut_connection(exc):
    """A connection that broke after the request went out (reset, closed without an answer), as opposed to one
    that never opened: keystoneauth words both as 'Unable to establish connection', so the cause decides."""
    text = str(exc)
    return any(marker in text for marker in ('Connection aborted', 'reset by peer', 'RemoteDisconnected',
                                             'without response', 'IncompleteRead'))


def is_not_sent(exc):
    """A connection that never opened (refused, no such host): the service cannot have seen the request."""
    text = str(exc)
    return is_connection_error(exc) and not is_cut_connection(exc) and any(
        marker in text for marker in ('Connection refused', 'Errno 111', 'Name or service not known',
                                      'Failed to resolve', 'No route to host', 'Errno 113'))


def is_unknown_outcome(exc):
    """A write that may have been carried out although no answer says so: a 5xx (from the service or anything in
    front of it), a connection cut after the request went out, a timeout waiting for the answer."""
    status = http_status_of(exc)
    if status is not None:
        return status >= 500
    return is_connection_error(exc) and not is_not_sent(exc)


def is_retryable(exc):
    status = http_status_of(exc)
    return is_connection_error(exc) or (status is not None and status >= 500)


def is_client_error(exc):
    """Whether exc is an answer (or silence) of a cloud or a network, as opposed to a fault in the collection."""
    if http_status_of(exc) is not None or is_connection_error(exc) or isinstance(exc, (OSError, ConnectionError)):
        return True
    for cls in type(exc).__mro__:
        package = (cls.__module__ or '').split('.')[0]
        if package in CLIENT_PACKAGES:
            return True
    return False


def is_transport_error(exc):
    """A failure to reach a server or to get its whole answer (urllib3, ssl, socket), as opposed to a fault in the
    code that built the request."""
    if isinstance(exc, (OSError, ConnectionError)) or is_connection_error(exc):
        return True
    return any((cls.__module__ or '').split('.')[0] in ('urllib3', 'ssl', 'socket', 'http')
               for cls in type(exc).__mro__)


def translate(exc, action):
    """Turn a client library exception into a CloudCallError whose message starts with `action`."""
    if isinstance(exc, CoeError):
        return exc
    if not is_client_error(exc):
        return UnexpectedError(exc, action)
    status = http_status_of(exc)
    request_id = request_id_of(exc)
    reason = _service_reason(exc)
    if is_connection_error(exc) and is_cut_connection(exc):
        msg = ('Failed to %s: the connection was cut before the cloud answered, so the cloud may have carried out '
               'the request; running the task again finds what it did (%s)' % (action, reason))
    elif is_connection_error(exc):
        msg = 'Failed to %s: the cloud could not be reached (%s)' % (action, reason)
    elif status is not None:
        msg = 'Failed to %s: %s (HTTP %s' % (action, reason, status)
        msg += ', request %s)' % request_id if request_id else ')'
    else:
        msg = 'Failed to %s: %s' % (action, reason)
    return CloudCallError(msg, status=status, request_id=request_id, reason=reason)
