"""Object rules of the emulated kinds: Status errors, defaulting, validation, patches, selectors, quantities."""

import copy
import datetime
import decimal
import json
import re


class ApiError(Exception):
    """An error the API server answers with a Status object."""

    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self):
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def _details(resource, name, **extra):
    details = {"name": name, "kind": resource.plural, **extra}
    if resource.group:
        details["group"] = resource.group
    return details


def not_found(resource, name):
    return ApiError(404, "NotFound", f'{resource.qualified} "{name}" not found', _details(resource, name))


def already_exists(resource, name):
    return ApiError(409, "AlreadyExists", f'{resource.qualified} "{name}" already exists', _details(resource, name))


def conflict(resource, name):
    return ApiError(
        409, "Conflict",
        f'Operation cannot be fulfilled on {resource.qualified} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        _details(resource, name),
    )


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def forbidden(resource, name, reason_text):
    return ApiError(403, "Forbidden", f'{resource.qualified} "{name}" is forbidden: {reason_text}',
                    _details(resource, name))


class Invalid(ApiError):
    """422 with one cause per field, worded like the API server's field errors."""

    def __init__(self, resource, name, causes):
        self.causes = list(causes)
        text = ", ".join(f"{field}: {message}" for field, message, _ in causes)
        if len(causes) > 1:
            text = "[" + text + "]"
        details = {
            "name": name,
            "kind": resource.kind,
            "causes": [{"reason": reason, "message": message, "field": field} for field, message, reason in causes],
        }
        if resource.group:
            details["group"] = resource.group
        if not name:
            details.pop("name")
        if not resource.kind:
            details.pop("kind")
        super().__init__(422, "Invalid", f'{resource.qualified_kind} "{name}" is invalid: {text}', details)


def required(field, what="Required value"):
    return (field, what, "FieldValueRequired")


def forbidden_field(field, message):
    return (field, f"Forbidden: {message}", "FieldValueForbidden")


def invalid_field(field, value, message):
    return (field, f"Invalid value: {json.dumps(value)}: {message}", "FieldValueInvalid")


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_SUFFIXES = {
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
    "n": decimal.Decimal("1e-9"), "u": decimal.Decimal("1e-6"), "m": decimal.Decimal("1e-3"), "": 1,
    "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$")


def parse_quantity(value):
    """A Kubernetes quantity ('1Gi', '500M', '1e9', 3) as a Decimal; ValueError when it is not one."""
    match = _QUANTITY.match(str(value).strip())
    if not match:
        raise ValueError(f"quantities must match the regular expression '{_QUANTITY.pattern}'")
    number, exponent, suffix = match.groups()
    try:
        base = decimal.Decimal(number)
    except decimal.InvalidOperation as error:
        raise ValueError(f"not a number: {number}") from error
    if exponent:
        return base * decimal.Decimal(10) ** int(exponent[1:])
    return base * decimal.Decimal(_SUFFIXES[suffix or ""])


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise ValueError(f"invalid JSON pointer {path!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _walk(document, parts):
    for part in parts:
        if isinstance(document, list):
            document = document[int(part)]
        else:
            document = document[part]
    return document


def _index(container, part, adding):
    if part == "-" and adding:
        return len(container)
    index = int(part)
    limit = len(container) + (1 if adding else 0)
    if not 0 <= index < limit:
        raise IndexError(part)
    return index


def _remove(document, parts):
    parent = _walk(document, parts[:-1])
    if isinstance(parent, list):
        return parent.pop(_index(parent, parts[-1], False))
    return parent.pop(parts[-1])


def _add(document, parts, value):
    if not parts:
        return value
    parent = _walk(document, parts[:-1])
    if isinstance(parent, list):
        parent.insert(_index(parent, parts[-1], True), value)
    else:
        parent[parts[-1]] = value
    return document


def json_patch(document, operations):
    """RFC 6902 JSON patch; ValueError on a bad operation or a failed test."""
    if not isinstance(operations, list):
        raise ValueError("a JSON patch must be a list of operations")
    document = copy.deepcopy(document)
    for operation in operations:
        try:
            op = operation["op"]
            parts = _pointer(operation["path"])
            if op == "add":
                document = _add(document, parts, copy.deepcopy(operation["value"]))
            elif op == "remove":
                _remove(document, parts)
            elif op == "replace":
                _remove(document, parts)
                document = _add(document, parts, copy.deepcopy(operation["value"]))
            elif op in ("move", "copy"):
                source = _pointer(operation["from"])
                value = _remove(document, source) if op == "move" else copy.deepcopy(_walk(document, source))
                document = _add(document, parts, value)
            elif op == "test":
                if _walk(document, parts) != operation["value"]:
                    raise ValueError(f"testing value {operation['path']} failed")
            else:
                raise ValueError(f"unexpected kind of operation {op!r}")
        except (KeyError, IndexError, TypeError) as error:
            raise ValueError(f"{operation.get('op')} operation does not apply: doc is missing path: "
                             f"{operation.get('path')}: {error}") from error
    return document


def _label_requirements(selector):
    requirements = []
    for term in re.split(r",(?![^(]*\))", selector or ""):
        term = term.strip()
        if not term:
            continue
        match = re.fullmatch(r"([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)", term)
        if match:
            key, op, values = match.groups()
            requirements.append((key, op, {value.strip() for value in values.split(",")}))
            continue
        match = re.fullmatch(r"([^\s!=]+)\s*(==|=|!=)\s*(\S*)", term)
        if match:
            key, op, value = match.groups()
            requirements.append((key, "!=" if op == "!=" else "=", {value}))
        elif term.startswith("!"):
            requirements.append((term[1:].strip(), "!exists", set()))
        elif re.fullmatch(r"[^\s!=(),]+", term):
            requirements.append((term, "exists", set()))
        else:
            raise bad_request(f"unable to parse requirement: {term}")
    return requirements


def _matches(values, requirements):
    for key, op, expected in requirements:
        present = key in values
        value = values.get(key)
        if op == "exists" and not present:
            return False
        if op == "!exists" and present:
            return False
        if op in ("=", "in") and (not present or value not in expected):
            return False
        if op in ("!=", "notin") and present and value in expected:
            return False
    return True


def _field_value(obj, path):
    value = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return None if value is None else str(value)


def selector_filter(label_selector, field_selector):
    """A predicate over objects for ?labelSelector= and ?fieldSelector=."""
    labels = _label_requirements(label_selector)
    fields = []
    for term in (field_selector or "").split(","):
        term = term.strip()
        if not term:
            continue
        match = re.fullmatch(r"([\w.]+)\s*(==|=|!=)\s*(.*)", term)
        if not match:
            raise bad_request(f"invalid field selector: {term}")
        key, op, value = match.groups()
        fields.append((key, op == "!=", value))

    def accept(obj):
        if not _matches(obj.get("metadata", {}).get("labels") or {}, labels):
            return False
        return all((_field_value(obj, key) == value) != negated for key, negated, value in fields)

    return accept
