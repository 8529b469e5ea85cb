"""Server-side printing: the Table kubectl asks for, with the columns the API server prints per kind."""

import time

def _age(timestamp):
    try:
        created = time.mktime(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    except (TypeError, ValueError):
        return "<unknown>"
    seconds = max(0, int(time.time() - created))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def as_table(document):
    """A meta.k8s.io/v1 Table of an object or list, for clients that ask for server-side printing."""
    items = document.get("items") if document.get("kind", "").endswith("List") else [document]
    kind = document.get("kind", "")[:-4] if document.get("kind", "").endswith("List") else document.get("kind")
    columns = [("Name", "string", "name")]
    extra = TABLE_COLUMNS.get(kind, [])
    columns += [(title, "string", "") for title, _ in extra] + [("Age", "string", "")]
    rows = []
    for item in items or []:
        cells = [item["metadata"]["name"]]
        cells += [getter(item) for _, getter in extra]
        cells.append(_age(item["metadata"].get("creationTimestamp")))
        metadata = {key: value for key, value in item["metadata"].items() if key != "managedFields"}
        rows.append({"cells": cells, "object": {"kind": "PartialObjectMetadata",
                                                "apiVersion": "meta.k8s.io/v1", "metadata": metadata}})
    return {
        "kind": "Table", "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": document.get("metadata", {}).get("resourceVersion", "")},
        "columnDefinitions": [{"name": title, "type": kind_, "format": fmt, "description": title,
                               "priority": 0} for title, kind_, fmt in columns],
        "rows": rows,
    }


def _phase(obj):
    """The STATUS column of kubectl: Terminating once deletion started, else the phase."""
    return "Terminating" if obj["metadata"].get("deletionTimestamp") else obj.get("status", {}).get("phase", "")


def _node_status(node):
    ready = [c for c in node.get("status", {}).get("conditions", []) if c.get("type") == "Ready"]
    return "Ready" if ready and ready[0].get("status") == "True" else "NotReady"


def _node_roles(node):
    roles = [label.split("/", 1)[1] for label in node["metadata"].get("labels", {})
             if label.startswith("node-role.kubernetes.io/")]
    return ",".join(sorted(roles)) or "<none>"


TABLE_COLUMNS = {
    "Node": [("Status", _node_status), ("Roles", _node_roles),
             ("Version", lambda n: n.get("status", {}).get("nodeInfo", {}).get("kubeletVersion", ""))],
    "Namespace": [("Status", lambda n: n.get("status", {}).get("phase", ""))],
    "StorageClass": [
        ("Provisioner", lambda s: s.get("provisioner", "")),
        ("ReclaimPolicy", lambda s: s.get("reclaimPolicy", "")),
        ("VolumeBindingMode", lambda s: s.get("volumeBindingMode", "")),
        ("AllowVolumeExpansion", lambda s: str(bool(s.get("allowVolumeExpansion"))).lower()),
    ],
    "PersistentVolumeClaim": [
        ("Status", lambda c: _phase(c)),
        ("Volume", lambda c: c.get("spec", {}).get("volumeName", "")),
        ("Capacity", lambda c: (c.get("status", {}).get("capacity") or {}).get("storage", "")),
        ("Access Modes", lambda c: ",".join(c.get("status", {}).get("accessModes") or [])),
        ("StorageClass", lambda c: c.get("spec", {}).get("storageClassName", "")),
    ],
    "PersistentVolume": [
        ("Capacity", lambda v: v.get("spec", {}).get("capacity", {}).get("storage", "")),
        ("Reclaim Policy", lambda v: v.get("spec", {}).get("persistentVolumeReclaimPolicy", "")),
        ("Status", lambda v: _phase(v)),
        ("Claim", lambda v: "/".join(filter(None, [(v["spec"].get("claimRef") or {}).get("namespace"),
                                                   (v["spec"].get("claimRef") or {}).get("name")]))),
        ("StorageClass", lambda v: v.get("spec", {}).get("storageClassName", "")),
    ],
    "Pod": [("Ready", lambda p: "1/1" if p.get("status", {}).get("phase") == "Running" else "0/1"),
            ("Status", lambda p: _phase(p)),
            ("Node", lambda p: p.get("spec", {}).get("nodeName", "<none>"))],
    "CSIDriver": [("AttachRequired", lambda d: str(d.get("spec", {}).get("attachRequired")).lower())],
    "Event": [("Type", lambda e: e.get("type", "")), ("Reason", lambda e: e.get("reason", "")),
              ("Message", lambda e: e.get("message", ""))],
}
