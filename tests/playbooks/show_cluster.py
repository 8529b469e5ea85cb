"""List a cluster's nodes and PersistentVolumeClaims through a kubeconfig, as `kubectl get` would.

    python tests/playbooks/show_cluster.py KUBECONFIG [--json]

Used by `make demo` when kubectl is not installed, and by the playbook tests to prove that the kubeconfig
site.yml wrote really opens the cluster's API (certificates, CA and server address included).
"""

import argparse
import json
import sys

from kubernetes import client, config


def cluster_view(kubeconfig):
    """Return {"nodes": [...], "claims": [...]} with the fields `kubectl get` shows."""
    api = client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))
    nodes = []
    for node in api.list_node().items:
        ready = next((condition.status for condition in node.status.conditions or [] if condition.type == "Ready"),
                     "Unknown")
        roles = sorted(label.split("/", 1)[1] for label in node.metadata.labels or {}
                       if label.startswith("node-role.kubernetes.io/"))
        nodes.append({
            "name": node.metadata.name,
            "status": "Ready" if ready == "True" else "NotReady",
            "roles": ",".join(roles) or "<none>",
            "version": node.status.node_info.kubelet_version if node.status.node_info else "",
        })
    claims = []
    for claim in api.list_persistent_volume_claim_for_all_namespaces().items:
        claims.append({
            "namespace": claim.metadata.namespace,
            "name": claim.metadata.name,
            "status": claim.status.phase,
            "volume": claim.spec.volume_name or "",
            "capacity": (claim.status.capacity or {}).get("storage", ""),
            "storage_class": claim.spec.storage_class_name or "",
        })
    return {"nodes": nodes, "claims": claims}


def table(rows, columns):
    widths = [max([len(title)] + [len(str(row[key])) for row in rows]) for key, title in columns]
    lines = ["   ".join(title.ljust(width) for (_, title), width in zip(columns, widths))]
    lines += ["   ".join(str(row[key]).ljust(width) for (key, _), width in zip(columns, widths)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kubeconfig")
    parser.add_argument("--json", action="store_true", help="print the view as JSON")
    arguments = parser.parse_args(argv)
    view = cluster_view(arguments.kubeconfig)
    if arguments.json:
        print(json.dumps(view, indent=2))
        return 0
    print(table(view["nodes"], [("name", "NAME"), ("status", "STATUS"), ("roles", "ROLES"), ("version", "VERSION")]))
    print()
    if view["claims"]:
        print(table(view["claims"], [("namespace", "NAMESPACE"), ("name", "NAME"), ("status", "STATUS"),
                                     ("volume", "VOLUME"), ("capacity", "CAPACITY"),
                                     ("storage_class", "STORAGECLASS")]))
    else:
        print("No PersistentVolumeClaims.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
