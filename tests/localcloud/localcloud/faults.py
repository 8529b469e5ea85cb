"""Fault rules and the request log of the front proxy, for tests and benchmarks.

Rules file (JSON, re-read by the proxy when it changes)::

    {"rules": [{"service": "magnum", "method": "POST", "path": "^/v1/clusters$", "times": 1,
                "action": "status", "status": 503}],
     "magnum_max_version": "1.4"}

Actions: ``status`` (answer ``status`` with the service's error body shape and an optional ``message``, or with
``body`` as given), ``reset`` (close the client connection without answering), ``latency`` (wait ``seconds``,
then forward), ``lost_response`` (forward, let the service act, then reset the client connection),
``replaced_response`` (forward, let the service act, then answer ``status`` instead of the service's answer, as a
load balancer that gave up waiting does: the service's own status goes into the log as backend_status) and
``expire_token`` (answer 401 as an expired token gets, to this request and to every later one with the same
X-Auth-Token, whatever its service or path, until the rules change; requests without a token pass). ``times``
limits how often a rule applies (unlimited when absent); ``service`` and ``method`` may be ``"*"``; ``path`` is a
regular expression searched in the path with its query string; ``name`` labels the rule in the request log.
``magnum_max_version`` makes Magnum look like an older release (lower maximum microversion, 406 above it).

Request log: one JSON object a line with time (epoch seconds), service, method, path (with query), status (None
when the connection was reset before an answer), duration (seconds), fault (the action applied, "old_api" for a
refused microversion, or None), agent (the client's User-Agent, or None) and, with a fault, rule (its name or index); a
replaced answer adds backend_status (the status the service gave).
"""

import contextlib
import json
import os
import re
import tempfile

from localcloud.config import Paths

ACTIONS = ("status", "reset", "latency", "lost_response", "replaced_response", "expire_token")


def default_faults_path():
    return str(Paths().proxy_faults)


def default_log_path():
    return str(Paths().proxy_log)


def validate_rules(rules):
    """Raise ValueError naming the rule and field that is wrong; returns the rules."""
    if not isinstance(rules, list):
        raise ValueError("fault rules must be a list")
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise ValueError(f"fault rule {index} must be an object")
        action = rule.get("action")
        if action not in ACTIONS:
            raise ValueError(f"fault rule {index}: action must be one of {', '.join(ACTIONS)}, not {action!r}")
        if action in ("status", "replaced_response") and not isinstance(rule.get("status"), int):
            raise ValueError(f"fault rule {index}: action {action} needs an integer 'status'")
        if action == "latency" and not isinstance(rule.get("seconds"), (int, float)):
            raise ValueError(f"fault rule {index}: action latency needs a number 'seconds'")
        if "times" in rule and rule["times"] is not None and (not isinstance(rule["times"], int) or rule["times"] < 0):
            raise ValueError(f"fault rule {index}: times must be a non-negative integer")
        try:
            re.compile(rule.get("path", ""))
        except re.error as error:
            raise ValueError(f"fault rule {index}: path is not a regular expression: {error}") from error
    return rules


def set_faults(*arguments, magnum_max_version=None, path=None):
    """Replace the proxy's fault rules; their counters start again from zero.

    Called as set_faults(rules) for the local cloud's rules file, or set_faults(path, rules) for another one.
    """
    if len(arguments) == 2:
        path, rules = arguments
    elif len(arguments) == 1:
        (rules,) = arguments
    else:
        raise TypeError("set_faults(rules) or set_faults(path, rules)")
    path = os.fspath(path or default_faults_path())
    document = {"rules": validate_rules(list(rules))}
    if magnum_max_version:
        if not re.fullmatch(r"\d+\.\d+", str(magnum_max_version)):
            raise ValueError(f"magnum_max_version must look like 1.4, not {magnum_max_version!r}")
        document["magnum_max_version"] = str(magnum_max_version)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # A new file (new inode) on every write, so the proxy sees a change even within one mtime tick.
    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".faults-")
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def clear_faults(path=None):
    set_faults([], path=path)


@contextlib.contextmanager
def injected(rules, magnum_max_version=None, path=None):
    """Apply fault rules for the duration of a with block, then clear them."""
    set_faults(rules, magnum_max_version=magnum_max_version, path=path)
    try:
        yield
    finally:
        clear_faults(path)


def log_position(log_path=None):
    """The current end of the request log, to read only what comes after with read_requests(offset=...)."""
    try:
        return os.path.getsize(log_path or default_log_path())
    except FileNotFoundError:
        return 0


def read_requests(log_path=None, since=None, offset=0, service=None):
    """The proxy's request records: dicts with time, service, method, path, status, duration, fault.

    ``since`` keeps records whose time is at or after that epoch time; ``offset`` starts at a byte position
    from log_position(); ``service`` keeps one service's records.
    """
    records = []
    try:
        with open(log_path or default_log_path(), "rb") as handle:
            handle.seek(offset)
            for line in handle:
                if not line.endswith(b"\n"):
                    break
                record = json.loads(line)
                if since is not None and record["time"] < since:
                    continue
                if service is not None and record["service"] != service:
                    continue
                records.append(record)
    except FileNotFoundError:
        pass
    return records


@contextlib.contextmanager
def recorded_requests(log_path=None, service=None):
    """Collect the requests made inside a with block: ``with recorded_requests() as requests: ...``."""
    start = log_position(log_path)
    requests = []
    try:
        yield requests
    finally:
        requests.extend(read_requests(log_path, offset=start, service=service))
