"""The Heat stacks of a cluster: templates, names and parameters, as Magnum's Heat drivers build them."""

import re
import uuid
from pathlib import Path

import yaml
from magnum.common import short_id

from localcloud_driver.labels import ClusterLabels

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_CREATE_TIMEOUT_MINUTES = 60
DEFAULT_SUBNET_CIDR = "10.0.0.0/24"
DEFAULT_DNS_NAMESERVER = "8.8.8.8"

# Stack outputs holding each group's ports by member name (the ResourceGroup index).
MASTER_PORTS = "master_ports"
MINION_PORTS = "minion_ports"


def load_template(name):
    return yaml.safe_load((TEMPLATES / name).read_text())


def stack_name(*parts):
    """Magnum's stack naming: a hostname-safe prefix of the names, then a short random id, lower case."""
    base = "-".join(parts)
    base = re.sub(r"[^A-Za-z0-9-]", "", base.replace("_", "-").replace(".", "-"))
    return ("%s-%s" % (base, short_id.generate_id())).lower()


def cluster_stack_name(cluster):
    return stack_name((cluster.name or cluster.uuid)[:30])


def nodegroup_stack_name(cluster, nodegroup):
    return stack_name((cluster.name or cluster.uuid)[:20], nodegroup.name[:9])


def ports_output(role):
    return MASTER_PORTS if role == "master" else MINION_PORTS


def operation_parameters(labels: ClusterLabels, action):
    """The parameters of the emulated operation resource: a fresh id so it takes part, and the fault labels."""
    return {
        "operation_id": uuid.uuid4().hex,
        "operation_fails": labels.fails(action),
        "operation_delay": labels.delay(),
    }


def cluster_parameters(cluster, cluster_template, labels: ClusterLabels, network):
    """Parameters of a new cluster stack; `network` is what networking.ClusterNetwork resolved."""
    return {
        "coe": cluster_template.coe,
        "number_of_masters": cluster.default_ng_master.node_count,
        "number_of_minions": cluster.default_ng_worker.node_count,
        "fixed_network": network.network_id or "",
        "fixed_subnet": network.subnet_id or "",
        "fixed_subnet_cidr": labels.labels.get("fixed_subnet_cidr") or DEFAULT_SUBNET_CIDR,
        "dns_nameserver": cluster_template.dns_nameserver or DEFAULT_DNS_NAMESERVER,
        "external_network": network.external_network_id or "",
        "coe_version": coe_version(cluster_template.coe, labels),
        "cinder_csi_enabled": labels.cinder_csi_enabled(),
        "ca_cert_ref": cluster.ca_cert_ref or "",
        **operation_parameters(labels, "create"),
    }


def coe_version(coe, labels: ClusterLabels):
    return labels.kube_tag() if coe == "kubernetes" else ""


def member_ports(outputs, role):
    """[(member index, port record)] of one group, in index order."""
    ports = outputs.get(ports_output(role)) or {}
    return sorted(((int(name), port) for name, port in ports.items() if port), key=lambda item: item[0])


def port_address(port):
    fixed_ips = port.get("fixed_ips") or []
    return fixed_ips[0]["ip_address"] if fixed_ips else None


def members_to_remove(outputs, role, nodes_to_remove):
    """Member names for Heat's removal policy from what users pass: node names, port IDs, addresses or indexes.

    Heat ignores names it does not know, so do unknown entries here.
    """
    names = []
    for wanted in nodes_to_remove or ():
        wanted = str(wanted)
        for index, port in member_ports(outputs, role):
            if wanted in (str(index), port.get("name"), port.get("id"), port_address(port)):
                names.append(str(index))
                break
    return names
