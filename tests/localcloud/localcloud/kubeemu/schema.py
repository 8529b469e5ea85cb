"""Decoding a request body as kube-apiserver does: against the official OpenAPI schema of the emulated version.

The schemas are those the `kubernetes-validate` package ships (JSON schema converted from each release's
OpenAPI document, one set per minor version: v1.25 to v1.37 in its 1.37 release). kube-apiserver decodes a body
into the Go types the schema describes; this module does the same walk:

- a field the type does not have is dropped (and reported as `unknown field "spec.x"` for fieldValidation);
- a key given twice keeps its last value (reported as `duplicate field "metadata.name"`);
- a value of the wrong JSON type, or a quantity that does not parse, fails the decoding (400 BadRequest
  "... cannot be handled as a ..."), as Go's encoding/json and resource.ParseQuantity do;
- a null is the field's zero value, which the server never writes back (omitempty).

A version the package has no schemas for (before 1.25) and kinds it does not describe (custom resources) are
decoded without a schema: duplicates are still found, nothing is dropped or refused.
Schemas are read lazily, once per process and only for the emulated version (one `_definitions.json`, about
1 MB, descriptions dropped), and each kind's definition is looked up when first used.
"""

import importlib.util
import json
import os
import re
import threading

# The regular expression of resource.ParseQuantity, quoted in its error message (k8s.io/apimachinery).
QUANTITY_FORMAT = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
QUANTITY_ERROR = f"quantities must match the regular expression '{QUANTITY_FORMAT}'"
_QUANTITY = re.compile(QUANTITY_FORMAT)
_SUFFIXES = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E")
QUANTITY_DEF = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING_DEF = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"


class DecodeError(Exception):
    """The body cannot become the kind's Go type; the message is the decoder's."""


class ObjectWithDuplicates(dict):
    """A JSON object as parsed, remembering the keys that occurred more than once."""

    duplicates = ()


def _pairs(pairs):
    obj = ObjectWithDuplicates()
    seen = set()
    duplicates = []
    for key, value in pairs:
        if key in seen and key not in duplicates:
            duplicates.append(key)
        seen.add(key)
        obj[key] = value
    if duplicates:
        obj.duplicates = tuple(duplicates)
    return obj


def parse_json(text):
    """json.loads keeping the last of duplicate keys, as Go does, and noting them for strict decoding."""
    return json.loads(text, object_pairs_hook=_pairs)


def check_quantity(text):
    """DecodeError unless text parses as a resource.Quantity."""
    match = _QUANTITY.match(text)
    if not match:
        raise DecodeError(QUANTITY_ERROR)
    number, suffix = match.groups()
    if number in (".", "+.", "-.") or number.count(".") > 1:
        raise DecodeError(QUANTITY_ERROR)
    if suffix not in _SUFFIXES and not re.fullmatch(r"[eE][-+]?[0-9]+", suffix):
        raise DecodeError("unable to parse quantity's suffix")


def _schema_root():
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(list(spec.submodule_search_locations)[0], "kubernetes-json-schema")


def _strip(node):
    if isinstance(node, dict):
        return {key: _strip(value) for key, value in node.items() if key != "description"}
    if isinstance(node, list):
        return [_strip(value) for value in node]
    return node


class Schemas:
    """The definitions of one Kubernetes minor version, read on first use."""

    def __init__(self, directory):
        self.directory = directory
        self._definitions = None
        self._by_kind = None
        self._lock = threading.Lock()

    @classmethod
    def for_version(cls, kube_version):
        """The schemas of (major, minor, patch), or None when the installed package has none for that version."""
        root = _schema_root()
        if root is None:
            return None
        directory = os.path.join(root, f"v{kube_version[0]}.{kube_version[1]}.0-local")
        return cls(directory) if os.path.isfile(os.path.join(directory, "_definitions.json")) else None

    def _load(self):
        with self._lock:
            if self._definitions is None:
                with open(os.path.join(self.directory, "_definitions.json"), encoding="utf-8") as handle:
                    definitions = _strip(json.load(handle)["$defs"])
                by_kind = {}
                for name, definition in definitions.items():
                    for gvk in definition.get("x-kubernetes-group-version-kind") or ():
                        by_kind[(gvk.get("group", ""), gvk.get("version"), gvk.get("kind"))] = name
                self._by_kind = by_kind
                self._definitions = definitions
        return self._definitions

    def definition_name(self, group, version, kind):
        self._load()
        return self._by_kind.get((group, version, kind))

    def resolve(self, node):
        """(node with its $ref followed, name of the definition or None)."""
        definitions = self._load()
        name = None
        while isinstance(node, dict) and "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            node = definitions[name]
        return node, name

    def patch_strategy(self, node):
        """(strategy, merge key) of a field's schema node: how a strategic merge patch treats its list."""
        return node.get("x-kubernetes-patch-strategy"), node.get("x-kubernetes-patch-merge-key")


def _types(node):
    declared = node.get("type")
    if declared is None:
        return set()
    return {declared} if isinstance(declared, str) else set(declared)


def _json_kind(value):
    """The JSON type of a value as Go's decoder names it in UnmarshalTypeError."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class Decoder:
    """One decoding: walks a body with a schema, collecting strict-decoding problems and the kept object."""

    def __init__(self, schemas):
        self.schemas = schemas
        self.problems = []

    def decode(self, body, group, version, kind):
        """The body as the server keeps it; DecodeError when it cannot be decoded."""
        name = self.schemas.definition_name(group, version, kind) if self.schemas else None
        if name is None:
            return self._plain(body, "")
        node, _ = self.schemas.resolve({"$ref": f"#/$defs/{name}"})
        return self._walk(body, node, "", name.rsplit(".", 1)[-1], [])

    def _plain(self, value, path):
        if isinstance(value, dict):
            for key in getattr(value, "duplicates", ()):
                self.problems.append(f'duplicate field "{_join(path, key)}"')
            return {key: self._plain(item, _join(path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [self._plain(item, f"{path}[{index}]") for index, item in enumerate(value)]
        return value

    def _go_type(self, node):
        node, name = self.schemas.resolve(node)
        if name == QUANTITY_DEF:
            return "resource.Quantity"
        if name == INT_OR_STRING_DEF:
            return "intstr.IntOrString"
        if name:
            parts = name.split(".")
            return f"{parts[-2]}.{parts[-1]}"
        types = _types(node) - {"null"}
        if "array" in types:
            return "[]" + self._go_type(node.get("items") or {})
        if "object" in types:
            values = node.get("additionalProperties")
            return "map[string]" + (self._go_type(values) if isinstance(values, dict) else "interface {}")
        if "integer" in types:
            return node.get("format") or "int64"
        if "number" in types:
            return "float64"
        if "boolean" in types:
            return "bool"
        return "string"

    def _mismatch(self, value, node, struct, fields):
        raise DecodeError(f"json: cannot unmarshal {_json_kind(value)} into Go struct field "
                          f"{struct}.{'.'.join(fields)} of type {self._go_type(node)}")

    def _walk(self, value, node, path, struct, fields):
        node, name = self.schemas.resolve(node)
        if value is None:
            return None
        if name == QUANTITY_DEF:
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise DecodeError(QUANTITY_ERROR if isinstance(value, str) else
                                  f"json: cannot unmarshal {_json_kind(value)} into Go struct field "
                                  f"{struct}.{'.'.join(fields)} of type resource.Quantity")
            check_quantity(str(value))
            return value
        if name == INT_OR_STRING_DEF or ("oneOf" in node and "type" not in node):
            return value
        types = _types(node)
        if not types:
            # An untyped node (RawExtension, JSON): anything goes, kept as given.
            return self._plain(value, path)
        if "object" in types and isinstance(value, dict):
            return self._object(value, node, path, name.rsplit(".", 1)[-1] if name else struct, fields)
        if "array" in types and isinstance(value, list):
            items = node.get("items") or {}
            return [self._walk(item, items, f"{path}[{index}]", struct, fields) for index, item in enumerate(value)]
        if "string" in types and isinstance(value, str):
            return value
        if "boolean" in types and isinstance(value, bool):
            return value
        if "integer" in types and isinstance(value, int) and not isinstance(value, bool):
            return value
        if "number" in types and isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        return self._mismatch(value, node, struct, fields)

    def _object(self, value, node, path, struct, fields):
        for key in getattr(value, "duplicates", ()):
            self.problems.append(f'duplicate field "{_join(path, key)}"')
        properties = node.get("properties")
        extra = node.get("additionalProperties")
        kept = {}
        for key, item in value.items():
            child = _join(path, key)
            if properties is not None and key in properties:
                decoded = self._walk(item, properties[key], child, struct, fields + [key])
            elif isinstance(extra, dict):
                decoded = self._walk(item, extra, child, struct, fields + [key])
            elif properties is None or extra is True:
                decoded = self._plain(item, child)
            else:
                self.problems.append(f'unknown field "{child}"')
                continue
            if decoded is not None:
                kept[key] = decoded
        return kept


def _join(path, key):
    return f"{path}.{key}" if path else key


def strategic_merge(schemas, original, patch, node):
    """A strategic merge patch of original (k8s.io/apimachinery strategicpatch), led by the schema's patch strategies:
    lists whose field says `x-kubernetes-patch-strategy: merge` merge by their `x-kubernetes-patch-merge-key`
    (or as sets, for lists of scalars); other lists are replaced; maps merge, null deletes; `$patch: replace`,
    `$patch: delete` and `$deleteFromPrimitiveList/<field>` are honoured."""
    node, _ = schemas.resolve(node or {})
    if not isinstance(patch, dict):
        return patch
    directive = patch.get("$patch")
    if directive == "replace":
        return {key: value for key, value in patch.items() if key != "$patch"}
    result = dict(original) if isinstance(original, dict) else {}
    properties = node.get("properties") or {}
    extra = node.get("additionalProperties")
    for key, value in patch.items():
        if key == "$patch" or key.startswith(("$retainKeys", "$setElementOrder/")):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            result[field] = [item for item in result.get(field) or [] if item not in (value or [])]
            continue
        if value is None:
            result.pop(key, None)
            continue
        child = properties.get(key) if key in properties else (extra if isinstance(extra, dict) else {})
        if isinstance(value, dict):
            if value.get("$patch") == "delete":
                result.pop(key, None)
            else:
                result[key] = strategic_merge(schemas, result.get(key), value, child)
        elif isinstance(value, list):
            result[key] = _merge_list(schemas, result.get(key) or [], value, child)
        else:
            result[key] = value
    return result


def _merge_list(schemas, original, patch, node):
    strategy = node.get("x-kubernetes-patch-strategy") or ""
    merge_key = node.get("x-kubernetes-patch-merge-key")
    resolved, _ = schemas.resolve(node)
    if "merge" not in strategy.split(","):
        return [item for item in patch if not (isinstance(item, dict) and "$patch" in item)]
    if not merge_key:
        merged = list(original)
        merged.extend(item for item in patch if item not in merged)
        return merged
    items = resolved.get("items") or {}
    merged = list(original)
    for item in patch:
        if not isinstance(item, dict):
            continue
        index = next((position for position, present in enumerate(merged)
                      if isinstance(present, dict) and present.get(merge_key) == item.get(merge_key)), None)
        if item.get("$patch") == "delete":
            if index is not None:
                merged.pop(index)
        elif index is None:
            merged.append({key: value for key, value in item.items() if key != "$patch"})
        else:
            merged[index] = strategic_merge(schemas, merged[index], item, items)
    return merged
