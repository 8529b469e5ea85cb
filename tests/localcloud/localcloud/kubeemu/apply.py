"""Field ownership (metadata.managedFields) and server-side apply, after the API concepts page "Server-Side Apply".

Every write records which manager set which fields: an apply as an `Apply` entry holding exactly the fields of
the applied configuration, any other write as an `Update` entry of its manager (the fieldManager parameter, or
the client's User-Agent up to its first "/") holding the fields it changed. An apply that would change a field
another manager owns is a conflict (409) unless forced; fields a manager applied before and applies no more are
removed unless another manager owns them too.

Fields are addressed as in FieldsV1: "f:<field>" for a map key, "k:<json of the key fields>" for an item of a
list whose schema names its keys (x-kubernetes-list-map-keys, or the patch merge key); other lists are atomic.
Kinds without a schema (custom resources here) have atomic lists.
"""

import json

from .objects import now_rfc3339

# Written by the server, never owned by a manager.
UNMANAGED_METADATA = ("name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                      "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink")
# Server-side apply is beta and on by default from 1.16 (GA in 1.22); before, objects carry no managedFields.
MANAGED_FIELDS_SINCE = (1, 16)


def manager_of(request):
    """The manager of a non-apply write: ?fieldManager=, else the User-Agent's product name."""
    manager = request.query.get("fieldManager")
    if manager:
        return manager
    agent = (request.headers.get("User-Agent") or "unknown") if request.headers else "unknown"
    return agent.split("/", 1)[0] or "unknown"


class Fields:
    """The field paths of objects of one kind, led by its schema when there is one."""

    def __init__(self, schemas, root, skip_status):
        self.schemas = schemas
        self.root = root
        self.skip_status = skip_status

    def _resolve(self, node):
        if self.schemas is None or node is None:
            return {}
        return self.schemas.resolve(node)[0]

    def _list_keys(self, node):
        if self.schemas is None or node is None:
            return None
        keys = node.get("x-kubernetes-list-map-keys")
        if keys:
            return list(keys)
        if node.get("x-kubernetes-patch-merge-key") and "merge" in (node.get("x-kubernetes-patch-strategy") or ""):
            return [node["x-kubernetes-patch-merge-key"]]
        return None

    def paths(self, obj):
        """The set of leaf paths (tuples of FieldsV1 keys) set in obj."""
        found = set()
        top = {key: value for key, value in obj.items() if key not in ("apiVersion", "kind")}
        if self.skip_status:
            top.pop("status", None)
        metadata = {key: value for key, value in (top.get("metadata") or {}).items()
                    if key not in UNMANAGED_METADATA}
        if metadata:
            top["metadata"] = metadata
        else:
            top.pop("metadata", None)
        self._collect(top, self.root, (), found)
        return found

    def _collect(self, value, node, path, found):
        resolved = self._resolve(node)
        if isinstance(value, dict) and value:
            properties = resolved.get("properties") or {}
            extra = resolved.get("additionalProperties")
            for key, item in value.items():
                child = properties.get(key) if key in properties else (extra if isinstance(extra, dict) else None)
                self._collect(item, child, path + (f"f:{key}",), found)
            return
        keys = self._list_keys(node) if isinstance(value, list) else None
        if keys and all(isinstance(item, dict) for item in value):
            items = resolved.get("items")
            for item in value:
                ident = "k:" + json.dumps({key: item.get(key) for key in keys}, separators=(",", ":"),
                                          sort_keys=True)
                found.add(path + (ident, "."))
                self._collect({k: v for k, v in item.items() if k not in keys}, items, path + (ident,), found)
            return
        found.add(path)


def value_at(obj, path):
    """(True, value) at path in obj, or (False, None)."""
    value = obj
    for part in path:
        if part == ".":
            continue
        kind, _, name = part.partition(":")
        if kind == "f" and isinstance(value, dict) and name in value:
            value = value[name]
        elif kind == "k" and isinstance(value, list):
            wanted = json.loads(name)
            match = [item for item in value if isinstance(item, dict)
                     and all(item.get(key) == expected for key, expected in wanted.items())]
            if not match:
                return False, None
            value = match[0]
        else:
            return False, None
    return True, value


def remove_at(obj, path):
    """Remove the field (or list item, for a path ending in ".") at path from obj."""
    if path and path[-1] == ".":
        path = path[:-1]
    found, parent = value_at(obj, path[:-1])
    if not found or not path:
        return
    kind, _, name = path[-1].partition(":")
    if kind == "f" and isinstance(parent, dict):
        parent.pop(name, None)
    elif kind == "k" and isinstance(parent, list):
        wanted = json.loads(name)
        parent[:] = [item for item in parent if not (isinstance(item, dict) and all(
            item.get(key) == expected for key, expected in wanted.items()))]


def to_fields_v1(paths):
    tree = {}
    for path in sorted(paths):
        node = tree
        for part in path:
            node = node.setdefault(part, {})
    return tree


def from_fields_v1(tree, prefix=()):
    paths = set()
    for key, child in (tree or {}).items():
        if child:
            paths |= from_fields_v1(child, prefix + (key,))
        else:
            paths.add(prefix + (key,))
    return paths


def _display(path):
    shown = ""
    for part in path:
        if part == ".":
            continue
        kind, _, name = part.partition(":")
        if kind == "f":
            shown += f".{name}"
        else:
            shown += "[" + ",".join(f"{key}={json.dumps(value)}" for key, value in json.loads(name).items()) + "]"
    return shown


def _entry(manager, operation, api_version, paths, subresource=None):
    entry = {"manager": manager, "operation": operation, "apiVersion": api_version, "time": now_rfc3339(),
             "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(paths)}
    if subresource:
        entry["subresource"] = subresource
    return entry


def record_update(entries, manager, api_version, fields, old, new, subresource=None):
    """managedFields after a non-apply write by manager: it owns the fields it changed, others lose them."""
    new_paths = fields.paths(new)
    old_paths = fields.paths(old) if old else set()
    changed = {path for path in new_paths if path not in old_paths or value_at(old, path) != value_at(new, path)}
    if not changed and old is not None:
        return entries
    result, own = [], set(changed)
    for entry in entries or []:
        owned = from_fields_v1(entry.get("fieldsV1")) & new_paths
        if entry["manager"] == manager and entry["operation"] == "Update" and entry.get("subresource") == subresource:
            own |= owned
            continue
        owned -= changed
        if owned:
            result.append(dict(entry, fieldsV1=to_fields_v1(owned)))
    result.append(_entry(manager, "Update", api_version, own, subresource))
    return result


class ApplyConflict(Exception):
    def __init__(self, conflicts):
        super().__init__("apply conflicts")
        self.conflicts = conflicts


def apply(entries, manager, api_version, fields, current, applied, merged, force):
    """(object, managedFields) of applying `applied` (already merged into current as `merged`) as manager."""
    applied_paths = fields.paths(applied)
    conflicts, others = [], []
    previous = set()
    for entry in entries or []:
        owned = from_fields_v1(entry.get("fieldsV1"))
        if entry["manager"] == manager and entry["operation"] == "Apply":
            previous = owned
            continue
        clashing = {path for path in owned & applied_paths if value_at(current, path) != value_at(applied, path)}
        if clashing and not force:
            conflicts += [(entry, path) for path in sorted(clashing)]
        others.append((entry, owned - clashing))
    if conflicts:
        raise ApplyConflict(conflicts)
    still_owned = set().union(*(owned for _, owned in others)) if others else set()
    for path in sorted(previous - applied_paths - still_owned, key=len, reverse=True):
        remove_at(merged, path)
    result = [dict(entry, fieldsV1=to_fields_v1(owned)) for entry, owned in others if owned]
    result.append(_entry(manager, "Apply", api_version, applied_paths))
    return merged, result


def _manager(entry):
    """How the API server names a manager in a conflict: with the API version it wrote with, for an Update."""
    shown = json.dumps(entry["manager"])
    if entry.get("subresource"):
        shown += f" with subresource {json.dumps(entry['subresource'])}"
    if entry.get("operation") == "Update":
        shown += f" using {entry.get('apiVersion')}"
    return shown


def conflict_status(conflicts):
    """(message, details) of the 409 Conflict of an apply, as apimachinery's NewApplyConflict words it: one cause
    per field, the managers of several conflicts listed in order with their fields."""
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {_manager(entry)}",
               "field": _display(path)} for entry, path in conflicts]
    if len(conflicts) == 1:
        return f"Apply failed with 1 conflict: {causes[0]['message']}: {causes[0]['field']}", {"causes": causes}
    by_manager = {}
    for entry, path in conflicts:
        by_manager.setdefault(_manager(entry), []).append(_display(path))
    lines = []
    for manager in sorted(by_manager):
        lines.append(f"conflicts with {manager}:")
        lines += [f"- {path}" for path in by_manager[manager]]
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines), {"causes": causes}
