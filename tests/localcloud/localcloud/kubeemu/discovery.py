"""What an API server of a given Kubernetes version serves: versions, groups, resources."""

import dataclasses
import re

STORAGE_GROUP = "storage.k8s.io"
ALL_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")


def parse_version(version):
    """'v1.30.4' -> (1, 30, 4); a missing patch level counts as 0."""
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?", version.strip())
    if not match:
        raise ValueError(f"not a Kubernetes version: {version!r}")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def version_info(version):
    major, minor, patch = parse_version(version)
    return {
        "major": str(major),
        "minor": str(minor),
        "gitVersion": f"v{major}.{minor}.{patch}",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-08-14T19:00:00Z",
        "goVersion": "go1.22.5",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


@dataclasses.dataclass(frozen=True)
class Resource:
    group: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple = ()
    status_subresource: bool = False
    # DELETE answers with the object rather than a Status, as the API server's registry for the kind does.
    returns_deleted_object: bool = False
    # (first served, first not served) per API version; None means no bound.
    served: tuple = (("v1", None, None),)

    def versions(self, kube_version):
        return [
            name for name, since, until in self.served
            if (since is None or kube_version >= since) and (until is None or kube_version < until)
        ]

    @property
    def qualified(self):
        """'storageclasses.storage.k8s.io', as the API server names a resource in its messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self):
        return f"{self.kind}.{self.group}" if self.group else self.kind


RESOURCES = (
    Resource("", "namespaces", "namespace", "Namespace", False, ("ns",), status_subresource=True),
    Resource("", "nodes", "node", "Node", False, ("no",), status_subresource=True),
    Resource("", "persistentvolumes", "persistentvolume", "PersistentVolume", False, ("pv",),
             status_subresource=True, returns_deleted_object=True),
    Resource("", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", True, ("pvc",),
             status_subresource=True, returns_deleted_object=True),
    Resource("", "events", "event", "Event", True, ("ev",)),
    Resource("", "pods", "pod", "Pod", True, ("po",), status_subresource=True, returns_deleted_object=True),
    Resource(STORAGE_GROUP, "storageclasses", "storageclass", "StorageClass", False, ("sc",),
             returns_deleted_object=True, served=(("v1", (1, 6), None), ("v1beta1", None, (1, 22)))),
    Resource(STORAGE_GROUP, "csidrivers", "csidriver", "CSIDriver", False, returns_deleted_object=True,
             served=(("v1", (1, 18), None), ("v1beta1", (1, 14), (1, 22)))),
)

BY_PLURAL = {(resource.group, resource.plural): resource for resource in RESOURCES}
BY_KIND = {(resource.group, resource.kind): resource for resource in RESOURCES}


def group_versions(group, kube_version):
    """Versions of a group served by this Kubernetes version, the preferred one first."""
    served = {v for resource in RESOURCES if resource.group == group for v in resource.versions(kube_version)}
    return sorted(served, key=lambda name: (name != "v1", name))


def served_resource(group, version, plural, kube_version):
    resource = BY_PLURAL.get((group, plural))
    if resource and version in resource.versions(kube_version):
        return resource
    return None


def api_versions(server_address):
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_document(group, kube_version):
    versions = [{"groupVersion": f"{group}/{name}", "version": name} for name in group_versions(group, kube_version)]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list(kube_version):
    groups = sorted({resource.group for resource in RESOURCES if resource.group})
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_document(group, kube_version) for group in groups if group_versions(group, kube_version)],
    }


def api_group(group, kube_version):
    if not group_versions(group, kube_version):
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_document(group, kube_version)}


def api_resource_list(group, version, kube_version):
    entries = []
    for resource in RESOURCES:
        if resource.group != group or version not in resource.versions(kube_version):
            continue
        entries.append({
            "name": resource.plural,
            "singularName": resource.singular,
            "namespaced": resource.namespaced,
            "kind": resource.kind,
            "verbs": list(ALL_VERBS),
            **({"shortNames": list(resource.short_names)} if resource.short_names else {}),
        })
        if resource.status_subresource:
            entries.append({
                "name": f"{resource.plural}/status",
                "singularName": "",
                "namespaced": resource.namespaced,
                "kind": resource.kind,
                "verbs": ["get", "patch", "update"],
            })
    if not entries:
        return None
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": entries}


# /openapi/v3 is served from 1.24 (feature OpenAPIV3 beta, on by default; GA in 1.27); the fieldValidation
# parameter its operations list exists from 1.25 (ServerSideFieldValidation beta, on by default).
OPENAPI_V3_SINCE = (1, 24)
FIELD_VALIDATION_SINCE = (1, 25)


def _openapi_group_versions(kube_version):
    for resource in RESOURCES:
        for version in resource.versions(kube_version):
            yield resource.group, version


def openapi_v3_index(kube_version):
    """/openapi/v3: where each group version's document lives."""
    if kube_version < OPENAPI_V3_SINCE:
        return None
    paths = {}
    for group, version in sorted(set(_openapi_group_versions(kube_version))):
        prefix = f"apis/{group}/{version}" if group else f"api/{version}"
        paths[prefix] = {"serverRelativeURL": f"/openapi/v3/{prefix}?hash={kube_version[1]:08X}"}
    return {"paths": paths}


def openapi_v3_document(group, version, kube_version):
    """A small OpenAPI v3 document of one group version: the operations kubectl inspects, no schemas.

    kubectl looks for the fieldValidation parameter of each kind's PATCH operation to let the server validate
    what it sends; without the strategic-merge content type it computes apply patches from its built-in types.
    """
    if kube_version < OPENAPI_V3_SINCE:
        return None
    paths = {}
    for resource in RESOURCES:
        if resource.group != group or version not in resource.versions(kube_version):
            continue
        root = f"/apis/{group}/{version}" if group else f"/api/{version}"
        scope = f"{root}/namespaces/{{namespace}}" if resource.namespaced else root
        kind = {"group": group, "version": version, "kind": resource.kind}
        validation = {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}}
        body = {"content": {media: {"schema": {"type": "object"}} for media in (
            "application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")}}
        parameters = [validation] if kube_version >= FIELD_VALIDATION_SINCE else []
        operation = {"x-kubernetes-group-version-kind": kind, "parameters": parameters,
                     "responses": {"200": {"description": "OK"}}}
        paths[f"{scope}/{resource.plural}/{{name}}"] = {
            "get": operation,
            "put": dict(operation, requestBody={"content": {"application/json": {"schema": {"type": "object"}}}}),
            "patch": dict(operation, requestBody=body),
            "delete": operation,
        }
        paths[f"{scope}/{resource.plural}"] = {
            "get": operation,
            "post": dict(operation, requestBody={"content": {"application/json": {"schema": {"type": "object"}}}}),
        }
    if not paths:
        return None
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": f"v{'.'.join(map(str, kube_version))}"},
            "paths": paths, "components": {}}
