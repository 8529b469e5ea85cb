"""The emulated API server, independent of HTTP: object store, REST semantics, discovery and controllers."""

import base64
import collections
import copy
import json
import os
import random
import string
import threading
import time
import logging
import uuid
from urllib.parse import unquote

from . import apply as ssa
from . import discovery, kinds
from .controllers import Controllers
from .metadata import validate_object_meta
from .objects import (
    ApiError,
    Invalid,
    already_exists,
    bad_request,
    conflict,
    json_patch,
    merge_patch,
    not_found,
    now_rfc3339,
    selector_filter,
)
from .schema import DecodeError, Decoder, Schemas, parse_json, strategic_merge

LOG = logging.getLogger(__name__)
MASTERS_GROUP = "system:masters"
SERVER_MANAGED_METADATA = ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                           "deletionGracePeriodSeconds", "generation", "managedFields", "selfLink")
PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/json-patch+json": "json",
    "application/apply-patch+yaml": "apply",
}


# Server-side field validation (KEP 2885): beta and on by default from 1.25, with Warn the default directive;
# before, the server decoded leniently: unknown fields dropped, the last of duplicate keys kept, nothing said.
FIELD_VALIDATION_SINCE = discovery.FIELD_VALIDATION_SINCE
FIELD_VALIDATION_DIRECTIVES = ("", "Ignore", "Strict", "Warn")
OPTIONS_KINDS = {"create": "CreateOptions", "update": "UpdateOptions", "patch": "PatchOptions"}
# A list continue token stays usable while its resourceVersion is still in the history (etcd's compaction).
CONTINUE_VERSION = "meta.k8s.io/v1"


class _GroupKind:
    """A kind outside the served resources, for Status messages (the options kinds of meta.k8s.io)."""

    def __init__(self, group, kind):
        self.group, self.kind = group, kind
        self.qualified_kind = f"{kind}.{group}" if group and kind else kind


def warning_header(text):
    """A Warning header value as kube-apiserver writes it: code 299, agent "-", the text quoted."""
    return "299 - " + json.dumps(text, ensure_ascii=False)


class Response:
    def __init__(self, status, body, content_type="application/json", headers=()):
        self.status = status
        self.body = body
        self.content_type = content_type
        # Extra (name, value) headers, such as the Warning headers of field validation.
        self.headers = list(headers)


class Request:
    """What the HTTP layer hands over: method, decoded path, query (dict of first values), headers, body, user."""

    def __init__(self, method, path, query, headers, body, user):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.user = user
        # Warnings for the response's Warning headers (RFC 7234 code 299), as kube-apiserver adds them.
        self.warnings = []
        self.field_validation = "Ignore"


def _forbidden_path(user, verb, path):
    return ApiError(403, "Forbidden", f'forbidden: User "{user}" cannot {verb} path "{path}"', {})


def _forbidden_resource(user, verb, resource, namespace, name):
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    subject = f'{resource.qualified} "{name}"' if name else resource.qualified
    details = {"kind": resource.plural}
    if name:
        details["name"] = name
    if resource.group:
        details["group"] = resource.group
    return ApiError(
        403, "Forbidden",
        f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource.plural}" in API group '
        f'"{resource.group}" {scope}',
        details,
    )


def _page_not_found():
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


class ApiServer(Controllers):
    """Objects, REST verbs and the controllers a cluster runs for them (binder, provisioner, finalizers)."""

    def __init__(self, version, cinder_csi=True, state_dir=None, server_address="127.0.0.1:6443",
                 provision_delay=0.2, unhealthy=False, cinder=None):
        self.version = version
        # An unhealthy control plane fails its health checks as kube-apiserver does when etcd is unreachable.
        self.unhealthy = unhealthy
        # The cluster's Cinder (kubeemu.cinder.Cinder), or None when the cluster has no cloud credentials.
        self.cinder = cinder
        # Cinder calls in flight by the UID of their claim or volume, and when a failed one may be retried.
        self.cinder_operations = {}
        self.cinder_attempts = {}
        self.cinder_retry_at = {}
        self.kube_version = discovery.parse_version(version)
        self.cinder_csi = cinder_csi
        self.server_address = server_address
        self.provision_delay = provision_delay
        self.state_file = os.path.join(state_dir, "objects.json") if state_dir else None
        self.lock = threading.Condition()
        self.objects = {}
        self.resource_version = 0
        self.history = collections.deque(maxlen=2000)
        self.seeded_nodes = []
        self.pending_since = {}
        self.reported = set()
        self._stopping = threading.Event()
        self._controller = None
        # The OpenAPI definitions of this version (kubernetes-validate's schemas), read when first needed.
        self.schemas = Schemas.for_version(self.kube_version)
        if self.schemas is None and self.kube_version >= FIELD_VALIDATION_SINCE:
            LOG.warning("no OpenAPI schemas of Kubernetes %s (is kubernetes-validate installed and recent enough?): "
                        "objects are decoded without a schema, unknown fields are kept", version)
        with self.lock:
            if not self._load():
                self._seed()

    # ---- persistence -------------------------------------------------------------------------------------------
    def _load(self):
        if not self.state_file or not os.path.exists(self.state_file):
            return False
        with open(self.state_file, encoding="utf-8") as handle:
            state = json.load(handle)
        self.resource_version = state["resourceVersion"]
        self.seeded_nodes = state.get("seededNodes", [])
        for entry in state["objects"]:
            key = (entry["group"], entry["plural"], entry["namespace"], entry["name"])
            self.objects[key] = entry["object"]
            if entry["plural"] == "events":
                event = entry["object"]
                self.reported.add((event["involvedObject"]["uid"], event.get("reason"), event.get("message")))
        return True

    def _save(self):
        if not self.state_file:
            return
        state = {
            "resourceVersion": self.resource_version,
            "seededNodes": self.seeded_nodes,
            "objects": [
                {"group": group, "plural": plural, "namespace": namespace, "name": name, "object": obj}
                for (group, plural, namespace, name), obj in self.objects.items()
            ],
        }
        temporary = self.state_file + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(state, handle)
        os.replace(temporary, self.state_file)

    def _seed(self):
        namespaces = ["default", "kube-system", "kube-public"]
        if self.kube_version >= (1, 14):
            namespaces.append("kube-node-lease")
        namespace_resource = discovery.BY_PLURAL[("", "namespaces")]
        for name in namespaces:
            self._create_internal(namespace_resource, {"metadata": {"name": name}})
        csidrivers = discovery.BY_PLURAL[(discovery.STORAGE_GROUP, "csidrivers")]
        if self.cinder_csi and csidrivers.versions(self.kube_version):
            self._create_internal(csidrivers, {
                "metadata": {"name": kinds.CINDER_CSI},
                "spec": {"attachRequired": True, "podInfoOnMount": True,
                         "volumeLifecycleModes": ["Persistent", "Ephemeral"]},
            })
        self._save()

    # ---- nodes -------------------------------------------------------------------------------------------------
    def set_nodes(self, members):
        """Make the nodes the cluster has: [(name, address or None, is_master)]; removes nodes no longer listed."""
        resource = discovery.BY_PLURAL[("", "nodes")]
        with self.lock:
            wanted = [name for name, _, _ in members]
            for name in self.seeded_nodes:
                if name not in wanted:
                    self._remove(("", "nodes", "", name))
            for index, (name, address, is_master) in enumerate(members):
                if ("", "nodes", "", name) not in self.objects:
                    self._create_internal(resource, self._node(name, address or f"10.0.0.{10 + index}", is_master))
            self.seeded_nodes = wanted
            self._save()

    def _node(self, name, address, is_master):
        role = "control-plane" if self.kube_version >= (1, 20) else "master"
        labels = {
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
            "magnum.openstack.org/role": "master" if is_master else "worker",
        }
        spec = {"providerID": f"openstack:///{uuid.uuid5(uuid.NAMESPACE_DNS, name)}"}
        if is_master:
            labels[f"node-role.kubernetes.io/{role}"] = ""
            spec["taints"] = [{"key": f"node-role.kubernetes.io/{role}", "effect": "NoSchedule"}]
        capacity = {"cpu": "2", "memory": "4030240Ki", "pods": "110", "ephemeral-storage": "41152812Ki"}
        now = now_rfc3339()
        conditions = [
            {"type": kind, "status": "False", "reason": reason, "message": message,
             "lastHeartbeatTime": now, "lastTransitionTime": now}
            for kind, reason, message in (
                ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            )
        ]
        conditions.append({"type": "Ready", "status": "True", "reason": "KubeletReady",
                           "message": "kubelet is posting ready status", "lastHeartbeatTime": now,
                           "lastTransitionTime": now})
        return {
            "metadata": {"name": name, "labels": labels},
            "spec": spec,
            "status": {
                "capacity": capacity,
                "allocatable": dict(capacity),
                "conditions": conditions,
                "addresses": [{"type": "InternalIP", "address": address}, {"type": "Hostname", "address": name}],
                "nodeInfo": {
                    "kubeletVersion": discovery.version_info(self.version)["gitVersion"],
                    "kubeProxyVersion": discovery.version_info(self.version)["gitVersion"],
                    "operatingSystem": "linux", "architecture": "amd64",
                    "osImage": "Fedora CoreOS 40", "kernelVersion": "6.8.5-301.fc40.x86_64",
                    "containerRuntimeVersion": "containerd://1.7.20",
                    "machineID": uuid.uuid5(uuid.NAMESPACE_URL, name).hex,
                    "systemUUID": str(uuid.uuid5(uuid.NAMESPACE_OID, name)),
                    "bootID": str(uuid.uuid5(uuid.NAMESPACE_X500, name)),
                },
            },
        }

    # ---- store primitives (caller holds the lock) -------------------------------------------------------------
    def _next_version(self):
        self.resource_version += 1
        return str(self.resource_version)

    def _record(self, event_type, key, obj):
        self.history.append((self.resource_version, event_type, key, copy.deepcopy(obj)))
        self.lock.notify_all()

    def _store(self, key, obj, event_type):
        obj["metadata"]["resourceVersion"] = self._next_version()
        self.objects[key] = obj
        self._record(event_type, key, obj)
        if obj["metadata"].get("deletionTimestamp") and not obj["metadata"].get("finalizers") and not (
            key[1] == "namespaces" and obj.get("spec", {}).get("finalizers")
        ):
            self._remove(key)

    def _remove(self, key):
        obj = self.objects.pop(key, None)
        if obj is None:
            return None
        obj["metadata"]["resourceVersion"] = self._next_version()
        self._record("DELETED", key, obj)
        self.pending_since.pop(obj["metadata"].get("uid"), None)
        return obj

    def _create_internal(self, resource, obj, managed_fields=None):
        obj = copy.deepcopy(obj)
        metadata = obj.setdefault("metadata", {})
        metadata.update(uid=str(uuid.uuid4()), creationTimestamp=now_rfc3339())
        if managed_fields:
            metadata["managedFields"] = managed_fields
        version = resource.versions(self.kube_version)
        obj["apiVersion"] = f"{resource.group}/{version[0]}" if resource.group else "v1"
        obj["kind"] = resource.kind
        obj = kinds.default_object(resource, obj, self.kube_version, self._default_class_name)
        if resource.kind == "CSIDriver":
            metadata["generation"] = 1
        self._store(self._key(resource, metadata.get("namespace", ""), metadata["name"]), obj, "ADDED")
        return obj

    @staticmethod
    def _key(resource, namespace, name):
        return (resource.group, resource.plural, namespace if resource.namespaced else "", name)

    def _default_class_name(self):
        defaults = [obj for (group, plural, _, _), obj in self.objects.items()
                    if plural == "storageclasses" and kinds.is_default_class(obj, self.kube_version)]
        if not defaults:
            return None
        # With several default classes the newest one wins, as in Kubernetes >= 1.26.
        return max(defaults, key=lambda obj: int(obj["metadata"]["resourceVersion"]))["metadata"]["name"]

    def _storage_class(self, name):
        if not name:
            return None
        return self.objects.get((discovery.STORAGE_GROUP, "storageclasses", "", name))

    def _present(self, obj, resource, version):
        shown = copy.deepcopy(obj)
        shown["apiVersion"] = f"{resource.group}/{version}" if resource.group else version
        shown["kind"] = resource.kind
        return shown

    # ---- HTTP-independent request handling ----------------------------------------------------------------------
    def handle(self, request):
        try:
            response = self._dispatch(request)
        except ApiError as error:
            response = Response(error.code, error.status())
        response.headers.extend(("Warning", warning_header(text)) for text in getattr(request, "warnings", ()))
        return response

    def _health(self, path):
        """kube-apiserver's health endpoints: `ok`, or its 500 answer naming the failed check."""
        if not self.unhealthy:
            return Response(200, "ok", "text/plain; charset=utf-8")
        check = path.strip("/").split("/")[0]
        return Response(500, "[+]ping ok\n[-]etcd failed: reason withheld\n%s check failed" % check,
                        "text/plain; charset=utf-8")

    def _dispatch(self, request):
        path = request.path.rstrip("/") or "/"
        user, groups = request.user
        is_master = MASTERS_GROUP in groups
        if path in ("/healthz", "/livez", "/readyz") or path.startswith(("/healthz/", "/livez/", "/readyz/")):
            return self._health(path)
        if path == "/version":
            return Response(200, discovery.version_info(self.version))
        if path == "/api":
            return Response(200, discovery.api_versions(self.server_address))
        if path == "/apis":
            return Response(200, discovery.api_group_list(self.kube_version))
        if path == "/openapi/v3" or path.startswith("/openapi/v3/"):
            return self._openapi(path)
        parts = [unquote(part) for part in path.strip("/").split("/")]
        if parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 2:
            if len(parts) == 2:
                document = discovery.api_group(parts[1], self.kube_version)
                if document is None:
                    raise _page_not_found()
                return Response(200, document)
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            if not is_master:
                raise _forbidden_path(user, request.method.lower(), request.path)
            return Response(404, "404 page not found\n", "text/plain; charset=utf-8")
        if not rest:
            document = discovery.api_resource_list(group, version, self.kube_version)
            if document is None or request.method != "GET":
                raise _page_not_found()
            return Response(200, document)
        return self._resource_request(request, group, version, rest, user, is_master)

    def _openapi(self, path):
        if path == "/openapi/v3":
            document = discovery.openapi_v3_index(self.kube_version)
        else:
            parts = path[len("/openapi/v3/"):].split("/")
            if parts[0] == "api" and len(parts) == 2:
                document = discovery.openapi_v3_document("", parts[1], self.kube_version)
            elif parts[0] == "apis" and len(parts) == 3:
                document = discovery.openapi_v3_document(parts[1], parts[2], self.kube_version)
            else:
                document = None
        if document is None:
            return Response(404, "404 page not found\n", "text/plain; charset=utf-8")
        return Response(200, document)

    def _resource_request(self, request, group, version, rest, user, is_master):
        namespace, name, subresource = "", None, None
        if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
            namespace, rest = rest[1], rest[2:]
        plural = rest[0]
        if len(rest) >= 2:
            name = rest[1]
        if len(rest) >= 3:
            subresource = rest[2]
        if len(rest) > 3:
            raise _page_not_found()
        resource = discovery.served_resource(group, version, plural, self.kube_version)
        if resource is None or (namespace and not resource.namespaced):
            raise _page_not_found()
        if subresource and not (subresource == "status" and resource.status_subresource):
            raise _page_not_found()
        watching = request.query.get("watch") in ("true", "1")
        verb = {
            ("GET", False): "watch" if watching else "list", ("GET", True): "get", ("POST", False): "create",
            ("PUT", True): "update", ("PATCH", True): "patch", ("DELETE", True): "delete",
            ("DELETE", False): "deletecollection",
        }.get((request.method, name is not None))
        if verb is None:
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
                           {})
        if not is_master:
            raise _forbidden_resource(user, verb, resource, namespace, name)
        dry_run = request.query.get("dryRun") == "All"
        if verb in OPTIONS_KINDS:
            request.field_validation = self._field_validation(request, verb)
        with self.lock:
            if verb == "watch":
                return Response(200, self._watch(resource, version, namespace, request.query), "stream")
            if verb == "list":
                return Response(200, self._list(resource, version, namespace, request.query))
            if verb == "deletecollection":
                return Response(200, self._delete_collection(resource, version, namespace, request.query, dry_run))
            if verb == "create":
                if resource.namespaced and not namespace:
                    raise ApiError(405, "MethodNotAllowed",
                                   "the server does not allow this method on the requested resource", {})
                return Response(201, self._create(resource, version, namespace,
                                                  self._decoded_body(resource, version, request), dry_run,
                                                  manager=ssa.manager_of(request)))
            if resource.namespaced and namespace == "":
                raise _page_not_found()
            key = self._key(resource, namespace, name)
            if verb == "get":
                return Response(200, self._present(self._existing(resource, key), resource, version))
            if verb == "update":
                return Response(200, self._update(resource, version, key,
                                                  self._decoded_body(resource, version, request), subresource,
                                                  dry_run, manager=ssa.manager_of(request)))
            if verb == "patch":
                return self._patch(resource, version, key, request, subresource, dry_run)
            return self._delete(resource, version, key, request, dry_run)

    def _field_validation(self, request, verb):
        """The request's fieldValidation directive, or the server's default; 422 for a value it does not know."""
        if self.kube_version < FIELD_VALIDATION_SINCE:
            return "Ignore"
        directive = request.query.get("fieldValidation", "")
        if directive not in FIELD_VALIDATION_DIRECTIVES:
            supported = ", ".join(json.dumps(value) for value in FIELD_VALIDATION_DIRECTIVES)
            raise Invalid(_GroupKind("meta.k8s.io", OPTIONS_KINDS[verb]), "", [(
                "fieldValidation", f"Unsupported value: {json.dumps(directive)}: supported values: {supported}",
                "FieldValueNotSupported")])
        return directive or "Warn"

    def _decode(self, resource, version, body, request, patched=None):
        """The body as the server keeps it: decoded with the version's schema, strict problems handled per the
        request's fieldValidation. patched: the JSON the patch produced (decode errors name the patch then)."""
        decoder = Decoder(self.schemas)
        problems = list(getattr(request, "patch_problems", ()))
        try:
            kept = decoder.decode(body, resource.group, version, resource.kind)
        except DecodeError as error:
            if patched is not None:
                message = f"Invalid value: {json.dumps(patched)}: {error}"
                raise ApiError(422, "Invalid", f' "" is invalid: patch: {message}', {"causes": [
                    {"reason": "FieldValueInvalid", "message": message, "field": "patch"}]}) from error
            raise bad_request(f'{resource.kind} in version "{version}" cannot be handled as a {resource.kind}: '
                              f"{error}") from error
        problems += decoder.problems
        if problems and request.field_validation == "Strict":
            text = "strict decoding error: " + ", ".join(problems)
            if patched is None:
                text = f'{resource.kind} in version "{version}" cannot be handled as a {resource.kind}: {text}'
            raise bad_request(text)
        if request.field_validation == "Warn":
            request.warnings.extend(problems)
        return kept

    def _decoded_body(self, resource, version, request):
        body = self._json_body(request, parse_json)
        if not isinstance(body, dict):
            raise bad_request("the body of the request was in an unknown format")
        return self._decode(resource, version, body, request)

    @staticmethod
    def _json_body(request, parse=json.loads):
        try:
            body = parse(request.body or b"null")
        except ValueError as error:
            raise bad_request(f"the body of the request was in an unknown format - accepted media types "
                              f"include: application/json, application/yaml ({error})") from error
        if not isinstance(body, (dict, list)):
            raise bad_request("the body of the request was in an unknown format")
        return body

    def _existing(self, resource, key):
        obj = self.objects.get(key)
        if obj is None:
            raise not_found(resource, key[3])
        return obj

    def _list(self, resource, version, namespace, query):
        """A list, in pages of `limit` items when asked, each page ending with the `continue` token of the next
        (API concepts, "Retrieving large results sets in chunks")."""
        accept = selector_filter(query.get("labelSelector"), query.get("fieldSelector"))
        list_version = self.resource_version
        start = ""
        if query.get("continue"):
            list_version, start = self._continue_from(query["continue"])
        try:
            limit = int(query.get("limit") or 0)
        except ValueError as error:
            raise bad_request(f"limit: Invalid value: {json.dumps(query['limit'])}: must be an integer") from error
        matching = [
            (f"{item_namespace}/{name}" if resource.namespaced else name, obj)
            for (group, plural, item_namespace, name), obj in sorted(self.objects.items())
            if (group, plural) == (resource.group, resource.plural)
            and (not namespace or item_namespace == namespace) and accept(obj)
        ]
        matching = [(position, obj) for position, obj in matching if position > start]
        metadata = {"resourceVersion": str(list_version)}
        if limit > 0 and len(matching) > limit:
            last = matching[limit - 1][0]
            token = {"v": CONTINUE_VERSION, "rv": list_version, "start": last + "\u0000"}
            metadata["continue"] = base64.urlsafe_b64encode(json.dumps(token).encode()).decode().rstrip("=")
            if not query.get("labelSelector") and not query.get("fieldSelector"):
                metadata["remainingItemCount"] = len(matching) - limit
            matching = matching[:limit]
        return {
            "kind": f"{resource.kind}List",
            "apiVersion": f"{resource.group}/{version}" if resource.group else version,
            "metadata": metadata,
            "items": [self._present(obj, resource, version) for _, obj in matching],
        }

    def _continue_from(self, token):
        """(resourceVersion, last key returned) of a continue token; 400 when it is not one, 410 when too old."""
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if decoded.get("v") != CONTINUE_VERSION:
                raise ValueError("incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
            list_version, start = int(decoded["rv"]), decoded["start"]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise bad_request(f"continue key is not valid: {error}") from error
        if self.history and list_version < self.history[0][0] - 1:
            raise ApiError(410, "Expired", "The provided continue parameter is too old to display a consistent list "
                           "result. You can start a new list without the continue parameter.", {})
        return list_version, start.rstrip("\u0000")

    def _watch(self, resource, version, namespace, query):
        accept = selector_filter(query.get("labelSelector"), query.get("fieldSelector"))
        timeout = min(float(query.get("timeoutSeconds") or 1800), 1800)
        start = query.get("resourceVersion")

        def relevant(key, obj):
            return (key[0], key[1]) == (resource.group, resource.plural) and (
                not namespace or key[2] == namespace) and accept(obj)

        def stream():
            deadline = time.monotonic() + timeout
            with self.lock:
                if start and start != "0":
                    last = int(start)
                    if self.history and self.history[0][0] > last + 1 and last < self.resource_version:
                        gone = ApiError(410, "Expired", f"too old resource version: {last} "
                                                        f"({self.history[0][0]})")
                        yield {"type": "ERROR", "object": gone.status()}
                        return
                else:
                    last = self.resource_version
                    for key, obj in sorted(self.objects.items()):
                        if relevant(key, obj):
                            yield {"type": "ADDED", "object": self._present(obj, resource, version)}
            while not self._stopping.is_set():
                with self.lock:
                    events = [entry for entry in self.history if entry[0] > last]
                    if not events:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            return
                        self.lock.wait(min(remaining, 1.0))
                        continue
                    last = events[-1][0]
                for _, event_type, key, obj in events:
                    if relevant(key, obj):
                        yield {"type": event_type, "object": self._present(obj, resource, version)}

        return stream()

    def _check_namespace(self, resource, namespace, body_namespace):
        if not resource.namespaced:
            return ""
        if body_namespace and namespace and body_namespace != namespace:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the "
                              "request")
        namespace = namespace or body_namespace
        if not namespace:
            raise bad_request("the server could not find the requested resource")
        ns = self.objects.get(("", "namespaces", "", namespace))
        if ns is None:
            raise not_found(discovery.BY_PLURAL[("", "namespaces")], namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise ApiError(403, "Forbidden",
                           f'{resource.qualified} "{namespace}" is forbidden: unable to create new content in '
                           f"namespace {namespace} because it is being terminated", {})
        return namespace

    def _check_kind(self, resource, version, body):
        if not isinstance(body, dict):
            raise bad_request("the body of the request was in an unknown format")
        kind = body.get("kind")
        if kind and kind != resource.kind:
            raise bad_request(f"the API version in the data ({body.get('apiVersion')}) does not match the expected "
                              f"API version ({resource.group + '/' if resource.group else ''}{version}) or kind "
                              f"({kind}) does not match {resource.kind}")

    def _tracks_fields(self):
        return self.kube_version >= ssa.MANAGED_FIELDS_SINCE

    def _fields(self, resource, version):
        name = self.schemas.definition_name(resource.group, version, resource.kind) if self.schemas else None
        return ssa.Fields(self.schemas, {"$ref": f"#/$defs/{name}"} if name else None, resource.status_subresource)

    @staticmethod
    def _api_version(resource, version):
        return f"{resource.group}/{version}" if resource.group else version

    def _create(self, resource, version, namespace, body, dry_run, manager=None, managed=None):
        self._check_kind(resource, version, body)
        metadata = body.setdefault("metadata", {})
        if not isinstance(metadata, dict):
            raise bad_request("metadata must be an object")
        if metadata.get("resourceVersion"):
            raise bad_request("resourceVersion should not be set on objects to be created")
        namespace = self._check_namespace(resource, namespace, metadata.get("namespace"))
        if not metadata.get("name") and metadata.get("generateName"):
            metadata["name"] = metadata["generateName"] + "".join(
                random.choices(string.ascii_lowercase + string.digits, k=5))
        if resource.namespaced:
            metadata["namespace"] = namespace
        for field in SERVER_MANAGED_METADATA:
            metadata.pop(field, None)
        # Validation (422) comes before storage, which alone knows that the name is taken (409).
        self._validate_new(resource, body)
        key = self._key(resource, namespace, metadata["name"])
        if key in self.objects:
            raise already_exists(resource, metadata["name"])
        if dry_run:
            obj = copy.deepcopy(body)
            obj["metadata"].update(uid=str(uuid.uuid4()), creationTimestamp=now_rfc3339())
            obj = kinds.default_object(resource, obj, self.kube_version, self._default_class_name)
            return self._present(obj, resource, version)
        if managed is None and manager and self._tracks_fields():
            managed = ssa.record_update([], manager, self._api_version(resource, version),
                                        self._fields(resource, version), None, body)
        obj = self._create_internal(resource, body, managed)
        if resource.kind == "PersistentVolumeClaim":
            self.pending_since[obj["metadata"]["uid"]] = time.monotonic()
        self._save()
        return self._present(obj, resource, version)

    def _validate_new(self, resource, obj):
        """422 with every cause the API server finds in a new object: its metadata, then the kind's own rules."""
        metadata = obj["metadata"]
        causes = validate_object_meta(resource.kind, metadata, resource.namespaced)
        if metadata.get("name"):
            try:
                kinds.default_object(resource, copy.deepcopy(obj), self.kube_version, self._default_class_name)
            except Invalid as error:
                causes += error.causes
        if causes:
            raise Invalid(resource, metadata.get("name") or "", causes)

    def _update(self, resource, version, key, body, subresource, dry_run, manager=None, managed=None):
        self._check_kind(resource, version, body)
        current = self._existing(resource, key)
        metadata = body.setdefault("metadata", {})
        if metadata.get("name") and metadata["name"] != key[3]:
            raise bad_request(f"the name of the object ({metadata['name']}) does not match the name on the URL "
                              f"({key[3]})")
        if metadata.get("namespace") and resource.namespaced and metadata["namespace"] != key[2]:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the "
                              "request")
        wanted_version = metadata.get("resourceVersion")
        if wanted_version and wanted_version != current["metadata"]["resourceVersion"]:
            raise conflict(resource, key[3])
        new = copy.deepcopy(body)
        if subresource == "status":
            status = new.get("status")
            new = copy.deepcopy(current)
            if status is not None:
                new["status"] = status
        else:
            if resource.status_subresource and resource.kind != "Node":
                new["status"] = copy.deepcopy(current.get("status"))
            for field in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                          "generation"):
                if field in current["metadata"]:
                    new["metadata"][field] = current["metadata"][field]
                else:
                    new["metadata"].pop(field, None)
            new["metadata"]["name"] = key[3]
            if resource.namespaced:
                new["metadata"]["namespace"] = key[2]
            causes = validate_object_meta(resource.kind, new["metadata"], resource.namespaced)
            if causes:
                raise Invalid(resource, key[3], causes)
            kinds.validate_update(resource, current, new, self._storage_class)
        new["apiVersion"], new["kind"] = current["apiVersion"], current["kind"]
        new["metadata"].pop("managedFields", None)
        if managed is None and manager and not subresource and self._tracks_fields():
            managed = ssa.record_update(current["metadata"].get("managedFields"), manager,
                                        self._api_version(resource, version), self._fields(resource, version),
                                        self._present(current, resource, version), body)
        if managed is None:
            managed = current["metadata"].get("managedFields")
        if managed:
            new["metadata"]["managedFields"] = managed
        new["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        if new == current:
            return self._present(current, resource, version)
        if "generation" in current["metadata"] and new.get("spec") != current.get("spec"):
            new["metadata"]["generation"] = current["metadata"]["generation"] + 1
        if dry_run:
            return self._present(new, resource, version)
        self._store(key, new, "MODIFIED")
        self._save()
        return self._present(new, resource, version)

    def _patch(self, resource, version, key, request, subresource, dry_run):
        content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        patch_type = PATCH_TYPES.get(content_type)
        if patch_type == "apply" and not self._tracks_fields():
            patch_type = None
        if patch_type is None:
            accepted = [media for media, kind in PATCH_TYPES.items() if kind != "apply" or self._tracks_fields()]
            raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - "
                           f"accepted media types include: {', '.join(accepted)}", {})
        if patch_type == "strategic" and self.schemas is None:
            # Without the kind's Go type (its schema) the server cannot merge strategically, as for custom resources.
            raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                           "accepted media types include: application/json-patch+json, "
                           "application/merge-patch+json, application/apply-patch+yaml", {})
        if patch_type == "apply":
            return self._apply(resource, version, key, request, subresource, dry_run)
        patch = self._json_body(request, parse_json)
        # Duplicate keys of the patch itself are strict-decoding problems of the request.
        checker = Decoder(None)
        patch = checker.decode(patch, resource.group, version, resource.kind)
        request.patch_problems = checker.problems
        current = self.objects.get(key)
        if current is None:
            raise not_found(resource, key[3])
        shown = self._present(current, resource, version)
        if patch_type == "json":
            try:
                patched = json_patch(shown, patch)
            except ValueError as error:
                raise ApiError(422, "Invalid", str(error), {}) from error
        else:
            if not isinstance(patch, dict):
                raise bad_request("a merge patch must be a JSON object")
            patched = (self._merge(resource, version, shown, patch) if patch_type == "strategic"
                       else merge_patch(shown, patch))
        if not isinstance(patched, dict):
            raise ApiError(422, "Invalid", "the patch produced no object", {})
        patched = self._decode(resource, version, patched, request, patched=patched)
        if not (patched.get("metadata") or {}).get("resourceVersion"):
            patched.setdefault("metadata", {})["resourceVersion"] = current["metadata"]["resourceVersion"]
        return Response(200, self._update(resource, version, key, patched, subresource, dry_run,
                                          manager=ssa.manager_of(request)))

    def _merge(self, resource, version, shown, patch):
        """A strategic merge of patch into shown, led by the kind's schema; a JSON merge patch without one."""
        name = self.schemas.definition_name(resource.group, version, resource.kind) if self.schemas else None
        if name is None:
            return merge_patch(shown, patch)
        return strategic_merge(self.schemas, shown, patch, {"$ref": f"#/$defs/{name}"})

    def _apply(self, resource, version, key, request, subresource, dry_run):
        """Server-side apply: the applied configuration merged in, its fields owned by the request's manager."""
        manager = request.query.get("fieldManager")
        if not manager:
            raise Invalid(_GroupKind("meta.k8s.io", "PatchOptions"), "", [
                ("fieldManager", "Required value: is required for apply patch", "FieldValueRequired")])
        force = request.query.get("force") == "true"
        patch = self._apply_body(request.body)
        if not isinstance(patch, dict):
            raise bad_request("the body of the request was in an unknown format")
        applied = self._decode(resource, version, patch, request)
        applied.setdefault("metadata", {}).setdefault("name", key[3])
        fields, api_version = self._fields(resource, version), self._api_version(resource, version)
        current = self.objects.get(key)
        if current is None:
            if subresource:
                raise not_found(resource, key[3])
            _, managed = ssa.apply([], manager, api_version, fields, {}, applied, applied, force)
            return Response(201, self._create(resource, version, key[2], copy.deepcopy(applied), dry_run,
                                              managed=managed))
        shown = self._present(current, resource, version)
        merged = self._merge(resource, version, shown, applied)
        try:
            merged, managed = ssa.apply(current["metadata"].get("managedFields"), manager, api_version, fields,
                                        shown, applied, merged, force)
        except ssa.ApplyConflict as conflict:
            text, details = ssa.conflict_status(conflict.conflicts)
            raise ApiError(409, "Conflict", text, details) from conflict
        merged["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        return Response(200, self._update(resource, version, key, merged, subresource, dry_run, managed=managed))

    @staticmethod
    def _apply_body(body):
        try:
            return json.loads(body)
        except ValueError:
            pass
        try:
            import yaml
        except ImportError as error:
            raise ApiError(415, "UnsupportedMediaType", "apply patches in YAML need PyYAML; send JSON", {}) \
                from error
        try:
            return yaml.safe_load(body)
        except yaml.YAMLError as error:
            raise bad_request(f"error decoding YAML: {error}") from error

    def _delete(self, resource, version, key, request, dry_run):
        current = self._existing(resource, key)
        options = {}
        if request.body:
            try:
                options = json.loads(request.body) or {}
            except ValueError:
                options = {}
        preconditions = options.get("preconditions") or {}
        if preconditions.get("uid") and preconditions["uid"] != current["metadata"]["uid"]:
            raise ApiError(409, "Conflict", f"Precondition failed: UID in precondition: {preconditions['uid']}, "
                           f"UID in object meta: {current['metadata']['uid']}", {})
        if preconditions.get("resourceVersion") and preconditions["resourceVersion"] != \
                current["metadata"]["resourceVersion"]:
            raise conflict(resource, key[3])
        if resource.kind == "Namespace" and key[3] in kinds.UNDELETABLE_NAMESPACES:
            raise ApiError(403, "Forbidden", f'namespaces "{key[3]}" is forbidden: this namespace may not be deleted',
                           {"name": key[3], "kind": "namespaces"})
        graceful = bool(current["metadata"].get("finalizers")) or resource.kind == "Namespace"
        if graceful:
            obj = copy.deepcopy(current)
            if not obj["metadata"].get("deletionTimestamp"):
                obj["metadata"]["deletionTimestamp"] = now_rfc3339()
                obj["metadata"]["deletionGracePeriodSeconds"] = 0
                if resource.kind == "Namespace":
                    obj["status"] = {"phase": "Terminating"}
                if not dry_run:
                    self._store(key, obj, "MODIFIED")
                    self._save()
            return Response(200, self._present(obj, resource, version))
        if not dry_run:
            self._remove(key)
            self._save()
        if resource.returns_deleted_object:
            return Response(200, self._present(current, resource, version))
        details = {"name": key[3], "kind": resource.plural, "uid": current["metadata"]["uid"]}
        if resource.group:
            details["group"] = resource.group
        return Response(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                              "details": details})

    def _delete_collection(self, resource, version, namespace, query, dry_run):
        listed = self._list(resource, version, namespace, query)
        for item in listed["items"]:
            key = self._key(resource, item["metadata"].get("namespace", ""), item["metadata"]["name"])
            self._delete(resource, version, key, Request("DELETE", "", {}, {}, b"", None), dry_run)
        return listed
