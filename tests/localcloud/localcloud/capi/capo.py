"""What CAPO (cluster-api-provider-openstack) builds in the real cloud for an OpenStackCluster and its machines.

Names and rules follow CAPO's networking service (pkg/cloud/services/networking): the cluster network, subnet and
router `k8s-clusterapi-cluster-<namespace>-<name>`, the security groups
`k8s-cluster-<namespace>-<name>-secgroup-controlplane` and `-secgroup-worker` with CAPO's rules, and a port
`<machine>-0` per machine on the cluster network in its role's group. Servers are not made (Nova runs no compute
here); the port's address is the machine's InternalIP.
"""

import logging

import openstack
import yaml

LOG = logging.getLogger(__name__)
CAPO_DESCRIPTION = "Cluster API managed group"
SELF = "self"


def network_name(namespace, name):
    return f"k8s-clusterapi-cluster-{namespace}-{name}"


def security_group_name(namespace, name, role):
    return f"k8s-cluster-{namespace}-{name}-secgroup-{role}"


def _rule(description, ports=None, protocol=None, remote_group=None, ethertype="IPv4", direction="ingress"):
    return {"description": description, "direction": direction, "ethertype": ethertype,
            "port_range_min": ports[0] if ports else None, "port_range_max": ports[1] if ports else None,
            "protocol": protocol, "remote_group_id": remote_group, "remote_ip_prefix": None}


def desired_rules(allow_all_in_cluster, control_plane_id, worker_id):
    """(control plane rules, worker rules) as CAPO's generateDesiredSecGroups makes them."""
    defaults = [_rule("Full open", ethertype="IPv4", direction="egress"),
                _rule("Full open", ethertype="IPv6", direction="egress")]
    control_plane, worker = list(defaults), list(defaults)
    if allow_all_in_cluster:
        control_plane += [_rule("In-cluster Ingress", remote_group=SELF),
                          _rule("In-cluster Ingress", remote_group=worker_id)]
        worker += [_rule("In-cluster Ingress", remote_group=SELF),
                   _rule("In-cluster Ingress", remote_group=control_plane_id)]
    else:
        control_plane += [_rule("Etcd", (2379, 2380), "tcp", SELF), _rule("Kubelet API", (10250, 10250), "tcp", SELF),
                          _rule("Kubelet API", (10250, 10250), "tcp", worker_id)]
        worker += [_rule("Kubelet API", (10250, 10250), "tcp", SELF),
                   _rule("Kubelet API", (10250, 10250), "tcp", control_plane_id)]
    control_plane.append(_rule("Kubernetes API", (6443, 6443), "tcp"))
    worker += [_rule("Node Port Services", (30000, 32767), "tcp"), _rule("Node Port Services", (30000, 32767), "udp")]
    return control_plane, worker


def _same(rule, observed, group_id):
    wanted = dict(rule, remote_group_id=group_id if rule["remote_group_id"] == SELF else rule["remote_group_id"])
    keys = ("direction", "ethertype", "port_range_min", "port_range_max", "protocol", "remote_group_id",
            "remote_ip_prefix")
    return all((observed.get(key) or None) == (wanted.get(key) or None) for key in keys)


def connect(clouds_yaml_text):
    """A connection with the cluster's own credentials (the identityRef Secret's clouds.yaml, cloud `openstack`)."""
    cloud = yaml.safe_load(clouds_yaml_text)["clouds"]["openstack"]
    return openstack.connect(**cloud)


class Capo:
    def __init__(self, conn):
        self.conn = conn

    def _one(self, finder, name, **filters):
        found = list(finder(name=name, **filters))
        if len(found) > 1:
            raise RuntimeError(f"more than one resource found named: {name}")
        return found[0] if found else None

    def reconcile_cluster(self, namespace, name, spec):
        """Build the cluster's network and security groups; returns OpenStackCluster.status."""
        net = self.conn.network
        status = {}
        external_id = (spec.get("externalNetwork") or {}).get("id")
        if external_id:
            external = net.get_network(external_id)
            status["externalNetwork"] = {"id": external.id, "name": external.name}
        if spec.get("network"):
            network = net.get_network(spec["network"]["id"]) if spec["network"].get("id") else \
                self._one(net.networks, spec["network"]["filter"].get("name"))
            subnets = [net.get_subnet(entry["id"]) for entry in spec.get("subnets") or [] if entry.get("id")] or \
                [net.get_subnet(subnet_id) for subnet_id in network.subnet_ids]
        else:
            managed = (spec.get("managedSubnets") or [{}])[0]
            name_of = network_name(namespace, name)
            network = self._one(net.networks, name_of) or net.create_network(
                name=name_of, is_admin_state_up=True,
                description=f"Created by cluster-api-provider-openstack cluster {namespace}-{name}")
            subnet = self._one(net.subnets, name_of, network_id=network.id) or net.create_subnet(
                name=name_of, network_id=network.id, ip_version=4, cidr=managed.get("cidr", "192.168.3.0/24"),
                dns_nameservers=managed.get("dnsNameservers") or [],
                description=f"Created by cluster-api-provider-openstack cluster {namespace}-{name}")
            subnets = [subnet]
            if external_id:
                router = self._one(net.routers, name_of) or net.create_router(
                    name=name_of, external_gateway_info={"network_id": external_id},
                    description=f"Created by cluster-api-provider-openstack cluster {namespace}-{name}")
                attached = {port.fixed_ips[0]["subnet_id"] for port in net.ports(device_id=router.id,
                                                                                  network_id=network.id)
                            if port.fixed_ips}
                if subnet.id not in attached:
                    net.add_interface_to_router(router, subnet_id=subnet.id)
                status["router"] = {"id": router.id, "name": router.name}
        status["network"] = {"id": network.id, "name": network.name,
                             "subnets": [{"id": s.id, "name": s.name, "cidr": s.cidr} for s in subnets]}
        managed_groups = spec.get("managedSecurityGroups")
        if managed_groups is not None:
            groups = {}
            for role in ("controlplane", "worker"):
                group_name = security_group_name(namespace, name, role)
                groups[role] = self._one(net.security_groups, group_name) or net.create_security_group(
                    name=group_name, description=CAPO_DESCRIPTION)
            rules = desired_rules(bool(managed_groups.get("allowAllInClusterTraffic")), groups["controlplane"].id,
                                  groups["worker"].id)
            for role, wanted in zip(("controlplane", "worker"), rules):
                self._reconcile_rules(groups[role].id, wanted)
            status["controlPlaneSecurityGroup"] = {"id": groups["controlplane"].id,
                                                   "name": groups["controlplane"].name}
            status["workerSecurityGroup"] = {"id": groups["worker"].id, "name": groups["worker"].name}
        status["ready"] = True
        return status

    def _reconcile_rules(self, group_id, wanted):
        net = self.conn.network
        observed = [rule.to_dict() for rule in net.security_group_rules(security_group_id=group_id)]
        for rule in observed:
            if not any(_same(desired, rule, group_id) for desired in wanted):
                net.delete_security_group_rule(rule["id"])
        for desired in wanted:
            if not any(_same(desired, rule, group_id) for rule in observed):
                arguments = {key: value for key, value in desired.items() if value is not None}
                if arguments.get("remote_group_id") == SELF:
                    arguments["remote_group_id"] = group_id
                net.create_security_group_rule(security_group_id=group_id, **arguments)

    def delete_cluster(self, namespace, name, spec):
        """Remove what reconcile_cluster built (never a network the cluster was given)."""
        net = self.conn.network
        name_of = network_name(namespace, name)
        if not spec.get("network"):
            network = self._one(net.networks, name_of)
            router = self._one(net.routers, name_of)
            if router:
                for subnet in (list(net.subnets(network_id=network.id)) if network else []):
                    try:
                        net.remove_interface_from_router(router, subnet_id=subnet.id)
                    except openstack.exceptions.NotFoundException:
                        pass
                net.delete_router(router, ignore_missing=True)
            if network:
                net.delete_network(network, ignore_missing=True)
        for role in ("controlplane", "worker"):
            group = self._one(net.security_groups, security_group_name(namespace, name, role))
            if group:
                net.delete_security_group(group, ignore_missing=True)

    def ensure_port(self, machine_name, network_id, security_group_id, tags=()):
        """The machine's port (`<machine>-0`, as CAPO names a machine's first port); returns its address."""
        net = self.conn.network
        port_name = f"{machine_name}-0"
        port = self._one(net.ports, port_name, network_id=network_id) or net.create_port(
            name=port_name, network_id=network_id, security_group_ids=[security_group_id],
            description="Created by cluster-api-provider-openstack")
        return port.fixed_ips[0]["ip_address"] if port.fixed_ips else None

    def delete_port(self, machine_name, network_id):
        port = self._one(self.conn.network.ports, f"{machine_name}-0", network_id=network_id)
        if port:
            self.conn.network.delete_port(port, ignore_missing=True)
