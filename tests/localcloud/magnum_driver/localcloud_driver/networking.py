"""Neutron look-ups of a new cluster, and the leftover port that makes a delete fail as load balancers do."""

import dataclasses

from magnum.common import exception

LEFTOVER_PREFIX = "localcloud-leftover-"


@dataclasses.dataclass
class ClusterNetwork:
    network_id: str | None
    subnet_id: str | None
    external_network_id: str | None


def _find(finder, name_or_id, what, **filters):
    found = finder(name_or_id, ignore_missing=True, **filters)
    if found is None:
        raise exception.InvalidParameterValue("%s %s not found in Neutron." % (what, name_or_id))
    return found


def resolve(network_api, cluster, cluster_template):
    """IDs of the fixed network and subnet (none: the stack makes a private network) and the external network."""
    fixed_network = cluster.fixed_network or cluster_template.fixed_network
    fixed_subnet = cluster.fixed_subnet or cluster_template.fixed_subnet
    network_id = subnet_id = None
    if fixed_network:
        network_id = _find(network_api.find_network, fixed_network, "Fixed network").id
    if fixed_subnet:
        subnet = _find(network_api.find_subnet, fixed_subnet, "Fixed subnet")
        subnet_id, network_id = subnet.id, network_id or subnet.network_id
    elif network_id:
        subnets = sorted(network_api.subnets(network_id=network_id), key=lambda subnet: subnet.ip_version)
        if not subnets:
            raise exception.InvalidParameterValue("Fixed network %s has no subnet." % fixed_network)
        subnet_id = subnets[0].id
    external_network_id = None
    if cluster_template.external_network_id and not network_id:
        external = network_api.find_network(cluster_template.external_network_id, ignore_missing=True)
        external_network_id = external.id if external else None
    return ClusterNetwork(network_id, subnet_id, external_network_id)


def leave_port_behind(network_api, cluster, network_id, security_group_id):
    """A port outside the stack on the cluster network, in its master group: Heat cannot delete them then."""
    network_api.create_port(
        name=LEFTOVER_PREFIX + cluster.uuid,
        network_id=network_id,
        security_group_ids=[security_group_id],
        description="Left behind by the local cloud's label localcloud_fail=delete",
    )


def remove_leftover_ports(network_api, cluster):
    for port in network_api.ports(name=LEFTOVER_PREFIX + cluster.uuid):
        network_api.delete_port(port, ignore_missing=True)
