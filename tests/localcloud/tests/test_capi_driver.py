"""The real magnum-capi-helm driver, through Magnum's API, against the local cloud's Cluster API stand-ins.

The driver's code runs unchanged in magnum-conductor; what is emulated is the management cluster, helm and the
Cluster API/CAPO controllers (localcloud.capi). What these tests read is real: Magnum's records, Neutron's
networks, security groups and ports named as CAPO names them, Keystone's application credentials, and the
workload cluster's API reached with a certificate Magnum signed.
"""

import re
import subprocess
import time

import kubernetes.client
import pytest
from test_driver import SETTLE_TIMEOUT, Magnum, kube_access, unique  # noqa: F401 - kube_access is a fixture

from localcloud.capi import CHART_REPO, bin_dir, kubeconfig_path
from localcloud.capi.kubeclient import KubeClient

CAPI_IMAGE = "ubuntu-jammy-kube-v1.30.4"
CAPI_IMAGE_NEWER = "ubuntu-jammy-kube-v1.31.1"
CAPI_FLAVOR = "m1.medium"  # magnum-capi-helm refuses flavors under 2 vCPUs and 2 GiB ([capi_helm] minimum_flavor_*)
HEAT_IMAGE = "fedora-coreos-40"
# CAPO's rules (pkg/cloud/services/networking) for the chart's managedSecurityGroups with
# allowAllInClusterTraffic: (direction, ethertype, protocol, port min, port max, remote group role).
CONTROL_PLANE_RULES = {
    ("egress", "IPv4", None, None, None, None),
    ("egress", "IPv6", None, None, None, None),
    ("ingress", "IPv4", None, None, None, "controlplane"),
    ("ingress", "IPv4", None, None, None, "worker"),
    ("ingress", "IPv4", "tcp", 6443, 6443, None),
}
WORKER_RULES = {
    ("egress", "IPv4", None, None, None, None),
    ("egress", "IPv6", None, None, None, None),
    ("ingress", "IPv4", None, None, None, "worker"),
    ("ingress", "IPv4", None, None, None, "controlplane"),
    ("ingress", "IPv4", "tcp", 30000, 32767, None),
    ("ingress", "IPv4", "udp", 30000, 32767, None),
}


@pytest.fixture(scope="module")
def api(member_cloud):
    return Magnum(member_cloud)


@pytest.fixture(scope="module")
def management(localcloud_paths):
    client = KubeClient.from_kubeconfig(kubeconfig_path(localcloud_paths.root))
    yield client
    client.close()


@pytest.fixture(scope="module")
def capi_template(api):
    made = api.create_template(unique("capi"), image=CAPI_IMAGE, flavor_id=CAPI_FLAVOR,
                               master_flavor_id=CAPI_FLAVOR, network_driver="calico")
    yield made
    api.delete_template(made["uuid"])


def namespace_of(member_cloud):
    return "magnum-" + re.sub("[^a-z0-9]", "", member_cloud.current_project_id.lower())


def release_of(api, cluster_id):
    """The driver's helm release (and Cluster API cluster) name: the stack_id Magnum shows up to microversion 1.12."""
    response = api.api.get(f"/clusters/{cluster_id}", headers={"OpenStack-API-Version": "container-infra 1.12"})
    response.raise_for_status()
    return response.json()["stack_id"]


def capo_names(namespace, release):
    return {
        "network": f"k8s-clusterapi-cluster-{namespace}-{release}",
        "controlplane": f"k8s-cluster-{namespace}-{release}-secgroup-controlplane",
        "worker": f"k8s-cluster-{namespace}-{release}-secgroup-worker",
    }


def rules_of(cloud, group, ids_to_roles):
    return {
        (rule.direction, rule.ether_type, rule.protocol, rule.port_range_min, rule.port_range_max,
         ids_to_roles.get(rule.remote_group_id))
        for rule in cloud.network.security_group_rules(security_group_id=group.id)
    }


def test_templates_get_their_images_driver(api, capi_template):
    heat = api.create_template(unique("heat"), image=HEAT_IMAGE)
    try:
        assert capi_template["driver"] == "k8s_capi_helm_v1"
        assert capi_template["cluster_distro"] == "ubuntu"
        assert heat["driver"] != "k8s_capi_helm_v1"
    finally:
        api.delete_template(heat["uuid"])


def test_cluster_lifecycle_through_the_real_capi_helm_driver(api, member_cloud, management, capi_template,
                                                             kube_access):  # noqa: F811 - the imported fixture
    """Create reaches CREATE_COMPLETE with CAPO's network, groups and ports; delete removes all of it."""
    namespace = namespace_of(member_cloud)
    cluster_id = api.create_cluster(unique("capi"), capi_template["uuid"], node_count=2, master_count=1)
    try:
        cluster, seen = api.wait(cluster_id)
        assert cluster["status"] == "CREATE_COMPLETE", (cluster["status_reason"], seen)
        assert cluster["coe_version"] == "v1.30.4"
        release = release_of(api, cluster_id)
        names = capo_names(namespace, release)

        # The helm release and the Cluster API objects the driver reads.
        secrets = management.list("v1", "secrets", namespace, f"owner=helm,name={release}")
        assert [s["metadata"]["labels"]["status"] for s in secrets] == ["deployed"]
        capi_cluster = management.get("cluster.x-k8s.io/v1beta1", "clusters", namespace, release)
        endpoint = capi_cluster["spec"]["controlPlaneEndpoint"]
        assert cluster["api_address"] == f"https://{endpoint['host']}:{endpoint['port']}"
        machines = management.list("cluster.x-k8s.io/v1beta1", "machines", namespace,
                                   f"cluster.x-k8s.io/cluster-name={release}")
        assert len(machines) == 3

        # Neutron: CAPO's names and rules, one port per machine in its role's group.
        network = member_cloud.network.find_network(names["network"])
        assert network is not None
        assert member_cloud.network.find_router(names["network"]) is not None
        groups = {role: member_cloud.network.find_security_group(names[role]) for role in ("controlplane", "worker")}
        assert all(groups.values()), groups
        roles = {group.id: role for role, group in groups.items()}
        assert rules_of(member_cloud, groups["controlplane"], roles) == CONTROL_PLANE_RULES
        assert rules_of(member_cloud, groups["worker"], roles) == WORKER_RULES
        ports = {port.name: port for port in member_cloud.network.ports(network_id=network.id)
                 if port.device_owner != "network:router_interface"}
        for machine in machines:
            port = ports[machine["metadata"]["name"] + "-0"]
            role = "controlplane" if "cluster.x-k8s.io/control-plane" in machine["metadata"]["labels"] else "worker"
            assert port.security_group_ids == [groups[role].id]
        assert len(ports) == 3

        # The workload cluster: Magnum's CA, the machines as nodes, the chart's Cinder StorageClasses.
        access = kube_access(cluster)
        assert access.node_names() == sorted(m["metadata"]["name"] for m in machines)
        assert access.version() == "v1.30.4"
        with access.client() as client:
            classes = kubernetes.client.StorageV1Api(client).list_storage_class().items
        defaults = [c.metadata.name for c in classes
                    if (c.metadata.annotations or {}).get("storageclass.kubernetes.io/is-default-class") == "true"]
        assert defaults == ["standard"]
        # One class per Cinder volume type the user sees (Cinder's own __DEFAULT__ too), named as the driver does.
        types = {re.sub("[^a-z0-9]+", "-", t.name.lower()).strip("-"): t.name
                 for t in member_cloud.block_storage.types()}
        assert {c.metadata.name: c.parameters.get("type") for c in classes} == types
        assert {"standard", "fast"} <= set(types)
        assert {c.provisioner for c in classes} == {"cinder.csi.openstack.org"}
        credential = next(s for s in management.list("v1", "secrets", namespace,
                                                     f"magnum.openstack.org/cluster-uuid={cluster_id}")
                          if s["metadata"]["name"].endswith("-cloud-credentials"))
        assert credential
    finally:
        api.delete_cluster(cluster_id)

    assert member_cloud.network.find_network(names["network"]) is None
    assert member_cloud.network.find_router(names["network"]) is None
    assert [member_cloud.network.find_security_group(names[role]) for role in ("controlplane", "worker")] == \
        [None, None]
    assert not [port for port in member_cloud.network.ports() if port.name.startswith(release)]
    assert management.get("cluster.x-k8s.io/v1beta1", "clusters", namespace, release) is None
    assert management.get("infrastructure.cluster.x-k8s.io/v1beta1", "openstackclusters", namespace, release) is None
    assert not management.list("cluster.x-k8s.io/v1beta1", "machines", namespace,
                               f"cluster.x-k8s.io/cluster-name={release}")
    assert not management.list("v1", "secrets", namespace, f"magnum.openstack.org/cluster-uuid={cluster_id}")
    assert not management.list("v1", "secrets", namespace, f"owner=helm,name={release}")
    # The driver's application credential is gone with the cluster.
    user_id = member_cloud.current_user_id
    assert not [c for c in member_cloud.identity.application_credentials(user_id)
                if c.name.startswith(f"magnum-{cluster_id}")]


def test_resize_and_upgrade_complete_through_the_real_capi_helm_driver(api, member_cloud, management, capi_template,
                                                                       kube_access):  # noqa: F811 - the fixture
    """Resize and node groups change the machines, their ports and the nodes; an upgrade rolls every machine."""
    namespace = namespace_of(member_cloud)
    newer = api.create_template(unique("capi-v131"), image=CAPI_IMAGE_NEWER, flavor_id=CAPI_FLAVOR,
                                master_flavor_id=CAPI_FLAVOR, network_driver="calico")
    cluster_id = api.create_cluster(unique("capi-day2"), capi_template["uuid"], node_count=1, master_count=1)
    try:
        cluster, seen = api.wait(cluster_id)
        assert cluster["status"] == "CREATE_COMPLETE", (cluster["status_reason"], seen)
        release = release_of(api, cluster_id)
        network = member_cloud.network.find_network(capo_names(namespace, release)["network"])

        def workers(node_group="default-worker"):
            return sorted(m["metadata"]["name"] for m in management.list(
                "cluster.x-k8s.io/v1beta1", "machines", namespace,
                f"cluster.x-k8s.io/deployment-name={release}-{node_group}"))

        def node_group_status(name):
            response = api.request("GET", f"/clusters/{cluster_id}/nodegroups/{name}")
            return response.json()["status"] if response.status_code == 200 else None

        def wait_node_group(name, until):
            deadline = time.monotonic() + SETTLE_TIMEOUT
            while time.monotonic() < deadline and not until(node_group_status(name)):
                time.sleep(0.5)
            return node_group_status(name)

        cluster, seen = api.act_and_wait(cluster_id, lambda: api.action(cluster_id, "resize", {"node_count": 3}))
        assert cluster["status"] == "UPDATE_COMPLETE", (cluster["status_reason"], seen)
        assert cluster["node_count"] == 3
        assert len(workers()) == 3
        port_names = {port.name for port in member_cloud.network.ports(network_id=network.id)}
        assert {f"{name}-0" for name in workers()} <= port_names
        access = kube_access(cluster)
        assert set(workers()) <= set(access.node_names())

        cluster, seen = api.act_and_wait(cluster_id, lambda: api.action(cluster_id, "resize", {"node_count": 1}))
        assert cluster["status"] == "UPDATE_COMPLETE", (cluster["status_reason"], seen)
        assert len(workers()) == 1
        assert len([p for p in member_cloud.network.ports(network_id=network.id)
                    if p.device_owner != "network:router_interface"]) == 2

        # A node group of its own: a MachineDeployment with its machines and ports; its delete removes them.
        response = api.request("POST", f"/clusters/{cluster_id}/nodegroups",
                               json={"name": "extra", "node_count": 2, "flavor_id": CAPI_FLAVOR})
        assert response.status_code == 202, response.text
        assert wait_node_group("extra", lambda status: status and status.endswith(("_COMPLETE", "_FAILED"))) == \
            "CREATE_COMPLETE"
        extra = workers("extra")
        assert len(extra) == 2
        assert {f"{name}-0" for name in extra} <= {port.name for port in member_cloud.network.ports()}
        response = api.request("DELETE", f"/clusters/{cluster_id}/nodegroups/extra")
        assert response.status_code == 204, response.text
        assert wait_node_group("extra", lambda status: status is None) is None
        assert workers("extra") == []
        assert not {f"{name}-0" for name in extra} & {port.name for port in member_cloud.network.ports()}
        cluster, seen = api.wait(cluster_id)
        assert cluster["status"] == "UPDATE_COMPLETE", (cluster["status_reason"], seen)

        before = set(workers())
        cluster, seen = api.act_and_wait(cluster_id, lambda: api.action(
            cluster_id, "upgrade", {"cluster_template": newer["uuid"], "max_batch_size": 1}))
        assert cluster["status"] == "UPDATE_COMPLETE", (cluster["status_reason"], seen)
        assert cluster["cluster_template_id"] == newer["uuid"]
        assert cluster["coe_version"] == "v1.31.1"
        assert not before & set(workers()), "the worker was not replaced"
        assert kube_access(cluster).version() == "v1.31.1"
    finally:
        api.delete_cluster(cluster_id)
        api.delete_template(newer["uuid"])


@pytest.mark.parametrize("arguments, message", [
    (["upgrade", "Bad_Name", "openstack-cluster", "--install", "--values", "-", "--namespace", "default",
      "--repo", CHART_REPO, "--version", "0.10.1"], "Error: invalid release name"),
    (["upgrade", "c1", "openstack-cluster", "--install", "--values", "-", "--namespace", "default",
      "--repo", CHART_REPO, "--version", "9.9.9"],
     f'Error: chart "openstack-cluster" version "9.9.9" not found in {CHART_REPO} repository'),
    (["upgrade", "c1", "openstack-cluster", "--install", "--values", "-", "--namespace", "no-such-namespace",
      "--repo", CHART_REPO, "--version", "0.10.1"],
     'Error: create: failed to create: namespaces "no-such-namespace" not found'),
    (["uninstall", "no-such-release", "--namespace", "default"],
     "Error: uninstall: Release not loaded: no-such-release: release: not found"),
])
def test_helm_refuses_what_helm_refuses(localcloud_paths, arguments, message):
    """The helm magnum-conductor runs fails with helm's messages (the driver ignores only `release: not found`)."""
    helm = bin_dir(localcloud_paths.root) / "helm"
    result = subprocess.run([str(helm), *arguments, "--kubeconfig", str(kubeconfig_path(localcloud_paths.root))],
                            input="{}", capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith(message), result.stderr
