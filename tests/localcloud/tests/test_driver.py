"""The local cloud's Magnum driver, through Magnum's API as users reach it.

Every cluster here is real to Magnum, Heat and Neutron: the tests read the Heat stack, its security groups and
ports, sign certificates through Magnum and talk to the emulated Kubernetes API with the official client.
"""

import datetime
import ipaddress
import os
import socket
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes.client
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from kubernetes.client.rest import ApiException

COREOS_IMAGE = "fedora-coreos-40"
FLAVOR = "m1.small"
KEYPAIR = "default"
EXTERNAL_NETWORK = "public"
API_VERSION = {"OpenStack-API-Version": "container-infra latest"}
SETTLE_TIMEOUT = 600  # the shared test machine can be slow; a healthy cloud settles in seconds

# Neutron stores a rule for ports 1-65535 as one without a port range (all ports).
KUBE_MASTER_RULES = {
    ("icmp", None, None, None),
    ("tcp", 22, 22, None),
    ("tcp", 53, 53, None),
    ("udp", 53, 53, None),
    ("tcp", 179, 179, None),
    ("tcp", 7080, 7080, None),
    ("tcp", 8080, 8080, None),
    ("tcp", 2379, 2379, None),
    ("tcp", 2380, 2380, None),
    ("tcp", 6443, 6443, None),
    ("tcp", 9100, 9100, None),
    ("tcp", 10250, 10250, None),
    ("tcp", 30000, 32767, None),
    ("udp", 8472, 8472, None),
    ("tcp", None, None, "master"),
    ("udp", None, None, "master"),
}
KUBE_MINION_RULES = {
    ("icmp", None, None, None),
    ("tcp", 22, 22, None),
    ("tcp", 30000, 32767, None),
    ("tcp", None, None, "master"),
    ("udp", None, None, "master"),
    ("tcp", None, None, "minion"),
    ("udp", None, None, "minion"),
}


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


# Magnum's API, as a user's client reaches it


class Magnum:
    """Magnum's REST API through an openstacksdk connection, at the newest microversion."""

    def __init__(self, conn):
        self.conn = conn
        self.api = conn.container_infrastructure_management

    def request(self, method, path, **kwargs):
        response = self.api.request(path, method, headers=API_VERSION, raise_exc=False, **kwargs)
        return response

    def get_cluster(self, cluster_id):
        """The cluster record, or None when Magnum does not know it (yet, or any more)."""
        response = self.request("GET", "/clusters/%s" % cluster_id)
        if response.status_code in (400, 404):
            return None
        response.raise_for_status()
        return response.json()

    def create_template(self, name, image=COREOS_IMAGE, coe="kubernetes", labels=None, **fields):
        body = {
            "name": name,
            "image_id": image,
            "coe": coe,
            "external_network_id": EXTERNAL_NETWORK,
            "flavor_id": FLAVOR,
            "master_flavor_id": FLAVOR,
            "keypair_id": KEYPAIR,
            "network_driver": "flannel" if coe == "kubernetes" else "docker",
            "labels": labels or {},
            **fields,
        }
        response = self.request("POST", "/clustertemplates", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def delete_template(self, template_id):
        for _ in range(60):
            response = self.request("DELETE", "/clustertemplates/%s" % template_id)
            if response.status_code in (204, 404):
                return
            time.sleep(1)  # still referenced by a cluster being deleted

    def create_cluster(self, name, template_id, node_count=1, master_count=1, labels=None, **fields):
        body = {
            "name": name,
            "cluster_template_id": template_id,
            "node_count": node_count,
            "master_count": master_count,
            **fields,
        }
        if labels is not None:
            body["labels"] = labels
        response = self.request("POST", "/clusters", json=body)
        assert response.status_code == 202, response.text
        return response.json()["uuid"]

    def wait(self, cluster_id, until=("_COMPLETE", "_FAILED"), timeout=SETTLE_TIMEOUT):
        """Poll until the status ends with one of `until`; returns the record and the statuses seen."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            cluster = self.get_cluster(cluster_id)
            status = cluster["status"] if cluster else None
            if not seen or seen[-1] != status:
                seen.append(status)
            if cluster and status.endswith(tuple(until)):
                return cluster, seen
            time.sleep(0.5)
        raise AssertionError("cluster %s still %s after %s s (seen %s)" % (cluster_id, seen[-1], timeout, seen))

    def act_and_wait(self, cluster_id, act, timeout=SETTLE_TIMEOUT):
        """Run `act` (an asynchronous action) and wait for the cluster to settle again afterwards.

        The conductor takes the action after the API answered: the status seen first may still be the old one.
        """
        before = self.get_cluster(cluster_id)
        act()
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            cluster = self.get_cluster(cluster_id)
            if cluster and (not seen or seen[-1] != cluster["status"]):
                seen.append(cluster["status"])
            # A new updated_at alone counts only after an update: Magnum's periodic sync writes a cluster's row
            # again after CREATE_COMPLETE, before the conductor has taken the action.
            moved = cluster and (
                any(status.endswith("_IN_PROGRESS") for status in seen)
                or cluster["status"] != before["status"]
                or (cluster["updated_at"] != before["updated_at"] and not cluster["status"].startswith("CREATE_"))
            )
            if moved and cluster["status"].endswith(("_COMPLETE", "_FAILED")):
                return cluster, seen
            time.sleep(0.5)
        raise AssertionError("cluster %s did not settle after %s s (seen %s)" % (cluster_id, timeout, seen))

    def wait_gone(self, cluster_id, timeout=SETTLE_TIMEOUT, stale_status=None, stale_grace=30):
        """Wait for the cluster to be gone or DELETE_FAILED; `stale_status` (the status before the request) is not
        taken as the outcome until the conductor has shown another one or `stale_grace` seconds have passed."""
        started = time.monotonic()
        deadline = started + timeout
        seen = []
        while time.monotonic() < deadline:
            cluster = self.get_cluster(cluster_id)
            if cluster is None:
                return seen
            seen.append(cluster["status"])
            still_stale = stale_status and set(seen) == {stale_status} and time.monotonic() - started < stale_grace
            if cluster["status"] == "DELETE_FAILED" and not still_stale:
                return seen
            time.sleep(0.5)
        raise AssertionError("cluster %s not deleted after %s s (seen %s)" % (cluster_id, timeout, seen))

    def delete_cluster(self, cluster_id):
        """Delete and wait until gone; a delete that failed (label localcloud_fail=delete) is retried once."""
        for _ in range(2):
            before = self.get_cluster(cluster_id)
            if before is None:
                return
            response = self.request("DELETE", "/clusters/%s" % cluster_id)
            if response.status_code == 404:
                return
            seen = self.wait_gone(cluster_id, stale_status=before["status"])
            if self.get_cluster(cluster_id) is None:
                return
        raise AssertionError("cluster %s could not be deleted: %s" % (cluster_id, seen))

    def action(self, cluster_id, action, body):
        response = self.request("POST", "/clusters/%s/actions/%s" % (cluster_id, action), json=body)
        assert response.status_code == 202, response.text

    def patch_cluster(self, cluster_id, patch):
        response = self.request("PATCH", "/clusters/%s" % cluster_id, json=patch)
        assert response.status_code == 202, response.text

    def ca(self, cluster_id):
        response = self.request("GET", "/certificates/%s" % cluster_id)
        response.raise_for_status()
        return response.json()["pem"]

    def sign(self, cluster_id, csr_pem):
        response = self.request("POST", "/certificates", json={"cluster_uuid": cluster_id, "csr": csr_pem})
        assert response.status_code == 201, response.text
        return response.json()["pem"]

    def rotate_ca(self, cluster_id):
        response = self.request("PATCH", "/certificates/%s" % cluster_id)
        assert response.status_code == 202, response.text


# Fixtures: every resource has a unique name and is removed by the fixture that made it


@pytest.fixture(scope="module")
def api(cloud):
    return Magnum(cloud)


@pytest.fixture(scope="module")
def template(api):
    made = api.create_template(unique("driver-k8s"), labels={"kube_tag": "v1.30.4"})
    yield made
    api.delete_template(made["uuid"])


@pytest.fixture
def clusters(api):
    """Create clusters in a test and have them deleted afterwards."""
    made = []

    def create(template_id, **fields):
        cluster_id = api.create_cluster(unique("driver"), template_id, **fields)
        made.append(cluster_id)
        return cluster_id

    yield create
    for cluster_id in made:
        api.delete_cluster(cluster_id)


@pytest.fixture(scope="module")
def shared_cluster(api, template):
    """One Kubernetes cluster (1 master, 2 nodes) the read-only tests share."""
    cluster_id = api.create_cluster(unique("driver-shared"), template["uuid"], node_count=2)
    cluster, _ = api.wait(cluster_id)
    yield cluster
    api.delete_cluster(cluster_id)


# Heat, Neutron and Kubernetes views of a cluster


def stack_id(cluster):
    """Magnum 1.13 and later name the stack id cluster_id."""
    return cluster.get("cluster_id") or cluster.get("stack_id")


def stack_resources(cloud, cluster):
    stack = cloud.orchestration.get_stack(stack_id(cluster))
    return stack, {resource.name: resource for resource in cloud.orchestration.resources(stack)}


def ingress_rules(cloud, group_id, group_names):
    rules = set()
    for rule in cloud.network.security_group_rules(security_group_id=group_id):
        if rule.direction != "ingress":
            continue
        remote = group_names.get(rule.remote_group_id) if rule.remote_group_id else None
        rules.add((rule.protocol, rule.port_range_min, rule.port_range_max, remote))
    return rules


def cluster_ports(cloud, cluster):
    """Ports of the cluster's masters and nodes by name (<stack name>-master-<i>, <stack name>-node-<i>)."""
    stack = cloud.orchestration.get_stack(stack_id(cluster))
    return {
        port.name: port
        for port in cloud.network.ports(project_id=cluster["project_id"])
        if port.name.startswith(stack.name + "-master-") or port.name.startswith(stack.name + "-node-")
    }


def port_addresses(ports, role):
    return sorted(port.fixed_ips[0]["ip_address"] for name, port in ports.items() if "-%s-" % role in name)


def make_key_and_csr(common_name="admin", organization="system:masters"):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    return key_pem.decode(), csr.public_bytes(serialization.Encoding.PEM).decode()


def foreign_client_certificate():
    """A client certificate for admin/system:masters from a CA the cluster never saw."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "someone-else-ca")])
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:masters"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "admin"),
                ]
            )
        )
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


class KubeAccess:
    """Files and a client configuration for the cluster's Kubernetes API with one client certificate."""

    def __init__(self, directory, api_address, ca_pem, cert_pem, key_pem):
        self.directory = Path(directory)
        self.cert_pem, self.key_pem = cert_pem, key_pem
        files = {"ca.pem": ca_pem, "cert.pem": cert_pem, "key.pem": key_pem}
        for name, content in files.items():
            (self.directory / name).write_text(content)
        self.configuration = kubernetes.client.Configuration()
        self.configuration.host = api_address
        self.configuration.ssl_ca_cert = str(self.directory / "ca.pem")
        self.configuration.cert_file = str(self.directory / "cert.pem")
        self.configuration.key_file = str(self.directory / "key.pem")
        self.configuration.verify_ssl = True

    def client(self):
        return kubernetes.client.ApiClient(self.configuration)

    def node_names(self):
        with self.client() as client:
            return sorted(node.metadata.name for node in kubernetes.client.CoreV1Api(client).list_node().items)

    def version(self):
        with self.client() as client:
            return kubernetes.client.VersionApi(client).get_code().git_version

    def storage_versions(self):
        with self.client() as client:
            groups = kubernetes.client.ApisApi(client).get_api_versions().groups
        return sorted(
            version.version for group in groups if group.name == "storage.k8s.io" for version in group.versions
        )

    def csi_drivers(self):
        with self.client() as client:
            drivers = kubernetes.client.StorageV1Api(client).list_csi_driver().items
        return [driver.metadata.name for driver in drivers]


@pytest.fixture
def kube_access(api, tmp_path):
    """kube_access(cluster) -> KubeAccess with a certificate Magnum signed for admin/system:masters."""

    def make(cluster, directory=None):
        key_pem, csr_pem = make_key_and_csr()
        cert_pem = api.sign(cluster["uuid"], csr_pem)
        directory = directory or tempfile.mkdtemp(dir=tmp_path)
        return KubeAccess(directory, cluster["api_address"], api.ca(cluster["uuid"]), cert_pem, key_pem)

    return make


def emulator_state_dir(cluster_id):
    home = os.environ.get("LOCALCLOUD_HOME") or str(Path(__file__).resolve().parents[3] / ".localcloud")
    return Path(home) / "kube" / cluster_id


def listening(api_address):
    parts = urlsplit(api_address)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((parts.hostname, parts.port)) == 0


# Create


def test_cluster_created_through_openstacksdk_completes(shared_cluster):
    assert shared_cluster["status"] == "CREATE_COMPLETE"
    assert stack_id(shared_cluster)
    assert shared_cluster["coe_version"] == "v1.30.4"
    assert shared_cluster["api_address"].startswith("https://127.0.0.1:")
    assert 27000 <= urlsplit(shared_cluster["api_address"]).port <= 27999


def test_cluster_created_through_magnumclient_completes(magnum, api, template):
    name = unique("driver-mc")
    created = magnum.clusters.create(name=name, cluster_template_id=template["uuid"], master_count=1, node_count=1)
    try:
        cluster, seen = api.wait(created.uuid)
        assert cluster["status"] == "CREATE_COMPLETE", cluster["status_reason"]
        assert "CREATE_IN_PROGRESS" in seen or seen[0] is None
        assert magnum.clusters.get(created.uuid).status == "CREATE_COMPLETE"
    finally:
        api.delete_cluster(created.uuid)


def test_member_creates_a_cluster_in_its_own_project(member_cloud):
    member = Magnum(member_cloud)
    made = member.create_template(unique("driver-member"))
    cluster_id = member.create_cluster(unique("driver-member"), made["uuid"])
    try:
        cluster, _ = member.wait(cluster_id)
        assert cluster["status"] == "CREATE_COMPLETE", cluster["status_reason"]
        stack = member_cloud.orchestration.get_stack(stack_id(cluster))
        assert stack.status == "CREATE_COMPLETE"
        assert cluster["project_id"] == member_cloud.current_project_id
    finally:
        member.delete_cluster(cluster_id)
        member.delete_template(made["uuid"])


# What the stack built


def test_stack_has_the_master_and_minion_security_groups_with_magnums_rules(cloud, shared_cluster):
    stack, resources = stack_resources(cloud, shared_cluster)
    assert stack.status == "CREATE_COMPLETE"
    master = resources["secgroup_kube_master"].physical_resource_id
    minion = resources["secgroup_kube_minion"].physical_resource_id
    names = {master: "master", minion: "minion"}
    assert ingress_rules(cloud, master, names) == KUBE_MASTER_RULES
    assert ingress_rules(cloud, minion, names) == KUBE_MINION_RULES


def test_one_port_per_master_and_node_carries_the_addresses(cloud, shared_cluster):
    stack, resources = stack_resources(cloud, shared_cluster)
    ports = cluster_ports(cloud, shared_cluster)
    assert len([name for name in ports if "-master-" in name]) == 1
    assert len([name for name in ports if "-node-" in name]) == 2
    assert sorted(shared_cluster["master_addresses"]) == port_addresses(ports, "master")
    assert sorted(shared_cluster["node_addresses"]) == port_addresses(ports, "node")
    master_group = resources["secgroup_kube_master"].physical_resource_id
    minion_group = resources["secgroup_kube_minion"].physical_resource_id
    for name, port in ports.items():
        assert port.security_group_ids == [master_group if "-master-" in name else minion_group]
    network = resources["private_network"].physical_resource_id
    assert {port.network_id for port in ports.values()} == {network}
    subnet = cloud.network.get_subnet(resources["private_subnet"].physical_resource_id)
    for address in shared_cluster["master_addresses"] + shared_cluster["node_addresses"]:
        assert ipaddress.ip_address(address) in ipaddress.ip_network(subnet.cidr)


def test_cluster_on_a_fixed_network_gets_no_network_of_its_own(cloud, api, clusters):
    network = cloud.network.create_network(name=unique("driver-fixed"))
    try:
        subnet = cloud.network.create_subnet(
            name=network.name, network_id=network.id, ip_version=4, cidr="10.77.0.0/24"
        )
        made = api.create_template(unique("driver-fixed"), fixed_network=network.name, fixed_subnet=subnet.name)
        try:
            cluster_id = clusters(made["uuid"])
            cluster, _ = api.wait(cluster_id)
            assert cluster["status"] == "CREATE_COMPLETE", cluster["status_reason"]
            _, resources = stack_resources(cloud, cluster)
            assert "private_network" not in resources or not resources["private_network"].physical_resource_id
            ports = cluster_ports(cloud, cluster)
            assert {port.network_id for port in ports.values()} == {network.id}
            assert all(
                ipaddress.ip_address(a) in ipaddress.ip_network("10.77.0.0/24") for a in cluster["node_addresses"]
            )
            api.delete_cluster(cluster_id)
        finally:
            api.delete_template(made["uuid"])
    finally:
        for port in cloud.network.ports(network_id=network.id):
            cloud.network.delete_port(port)
        cloud.network.delete_network(network, ignore_missing=True)


# Kubernetes API of the cluster


def test_magnum_signed_certificate_reaches_the_kubernetes_api(shared_cluster, kube_access):
    access = kube_access(shared_cluster)
    ports = len(shared_cluster["master_addresses"]) + len(shared_cluster["node_addresses"])
    assert len(access.node_names()) == ports == 3
    assert access.version() == "v1.30.4"


def test_certificate_of_another_ca_is_refused(api, shared_cluster, tmp_path):
    cert_pem, key_pem = foreign_client_certificate()
    access = KubeAccess(tmp_path, shared_cluster["api_address"], api.ca(shared_cluster["uuid"]), cert_pem, key_pem)
    with pytest.raises(ApiException) as refused:
        access.node_names()
    assert refused.value.status in (401, 403)


def test_kube_tag_sets_the_emulated_version_and_its_discovery(api, template, clusters, kube_access):
    old_template = api.create_template(
        unique("driver-old"), labels={"kube_tag": "v1.5.3", "cinder_csi_enabled": "false"}
    )
    try:
        cluster_id = clusters(old_template["uuid"])
        old, _ = api.wait(cluster_id)
        assert old["status"] == "CREATE_COMPLETE", old["status_reason"]
        assert old["coe_version"] == "v1.5.3"
        access = kube_access(old)
        assert access.version() == "v1.5.3"
        assert access.storage_versions() == ["v1beta1"]
        api.delete_cluster(cluster_id)
    finally:
        api.delete_template(old_template["uuid"])


def test_current_kube_tag_serves_storage_v1_and_the_cinder_csi_driver(shared_cluster, kube_access):
    access = kube_access(shared_cluster)
    assert "v1" in access.storage_versions()
    assert "cinder.csi.openstack.org" in access.csi_drivers()


# Scaling, upgrades and CA rotation


def test_resize_changes_ports_addresses_and_kubernetes_nodes(cloud, api, template, clusters, kube_access):
    cluster_id = clusters(template["uuid"], node_count=1)
    cluster, _ = api.wait(cluster_id)
    grown, seen = api.act_and_wait(cluster_id, lambda: api.action(cluster_id, "resize", {"node_count": 3}))
    assert grown["status"] == "UPDATE_COMPLETE", grown["status_reason"]
    assert len(grown["node_addresses"]) == 3
    ports = cluster_ports(cloud, grown)
    assert port_addresses(ports, "node") == sorted(grown["node_addresses"])
    assert len(kube_access(grown).node_names()) == 4
    assert grown["api_address"] == cluster["api_address"]

    removed = grown["node_addresses"][1]
    shrink = {"node_count": 2, "nodes_to_remove": [removed], "nodegroup": "default-worker"}
    shrunk, _ = api.act_and_wait(cluster_id, lambda: api.action(cluster_id, "resize", shrink))
    assert shrunk["status"] == "UPDATE_COMPLETE", shrunk["status_reason"]
    assert len(shrunk["node_addresses"]) == 2
    assert removed not in shrunk["node_addresses"]
    assert removed not in port_addresses(cluster_ports(cloud, shrunk), "node")
    assert len(kube_access(shrunk).node_names()) == 3


def test_node_count_patch_scales_the_cluster(cloud, api, template, clusters):
    cluster_id = clusters(template["uuid"], node_count=1)
    api.wait(cluster_id)
    patch = [{"op": "replace", "path": "/node_count", "value": 2}]
    cluster, seen = api.act_and_wait(cluster_id, lambda: api.patch_cluster(cluster_id, patch))
    assert cluster["status"] == "UPDATE_COMPLETE", cluster["status_reason"]
    assert "UPDATE_IN_PROGRESS" in seen
    assert len(cluster["node_addresses"]) == 2
    assert len(port_addresses(cluster_ports(cloud, cluster), "node")) == 2


def test_upgrade_moves_the_cluster_to_the_new_templates_kube_tag(api, clusters, kube_access):
    older = api.create_template(unique("driver-up-from"), labels={"kube_tag": "v1.29.8"})
    newer = api.create_template(unique("driver-up-to"), labels={"kube_tag": "v1.30.4"})
    try:
        cluster_id = clusters(older["uuid"])
        before, _ = api.wait(cluster_id)
        assert kube_access(before).version() == "v1.29.8"
        upgrade = {"cluster_template": newer["uuid"], "max_batch_size": 1}
        after, _ = api.act_and_wait(cluster_id, lambda: api.action(cluster_id, "upgrade", upgrade))
        assert after["status"] == "UPDATE_COMPLETE", after["status_reason"]
        assert after["cluster_template_id"] == newer["uuid"]
        assert after["coe_version"] == "v1.30.4"
        assert after["labels"]["kube_tag"] == "v1.30.4"
        assert kube_access(after).version() == "v1.30.4"
        api.delete_cluster(cluster_id)
    finally:
        api.delete_template(older["uuid"])
        api.delete_template(newer["uuid"])


def test_keep_template_id_label_upgrades_the_nodes_but_not_the_template_reference(api, clusters, kube_access):
    older = api.create_template(unique("driver-keep-from"), labels={"kube_tag": "v1.29.8"})
    newer = api.create_template(unique("driver-keep-to"), labels={"kube_tag": "v1.30.4"})
    try:
        cluster_id = clusters(older["uuid"], labels={"kube_tag": "v1.29.8", "localcloud_keep_template_id": "true"})
        api.wait(cluster_id)
        upgrade = {"cluster_template": newer["uuid"], "max_batch_size": 1}
        after, _ = api.act_and_wait(cluster_id, lambda: api.action(cluster_id, "upgrade", upgrade))
        assert after["status"] == "UPDATE_COMPLETE", after["status_reason"]
        assert after["cluster_template_id"] == older["uuid"]
        assert after["coe_version"] == "v1.30.4"
        assert kube_access(after).version() == "v1.30.4"
        groups = api.request("GET", "/clusters/%s/nodegroups" % cluster_id).json()["nodegroups"]
        for group in groups:
            detail = api.request("GET", "/clusters/%s/nodegroups/%s" % (cluster_id, group["uuid"])).json()
            assert detail["version"] == "v1.30.4", detail
        api.delete_cluster(cluster_id)
    finally:
        api.delete_template(older["uuid"])
        api.delete_template(newer["uuid"])


def wait_for_health(api, cluster_id, timeout=90):
    """Magnum's health sync runs every 10 s in the local cloud; the record once it has a health_status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cluster = api.get_cluster(cluster_id)
        if cluster and cluster.get("health_status") not in (None, "UNKNOWN"):
            return cluster
        time.sleep(2)
    raise AssertionError("cluster %s got no health status within %d s" % (cluster_id, timeout))


def test_health_sync_reports_a_serving_cluster_healthy_with_its_nodes(api, shared_cluster):
    cluster = wait_for_health(api, shared_cluster["uuid"])
    assert cluster["health_status"] == "HEALTHY", cluster["health_status_reason"]
    reason = cluster["health_status_reason"]
    assert reason["api"] == "ok"
    assert sum(1 for key in reason if key.endswith(".Ready")) == 3
    # A health poll that finds nothing new does not touch the cluster (two polls are 10 s apart).
    time.sleep(22)
    again = api.get_cluster(shared_cluster["uuid"])
    assert again["health_status"] == "HEALTHY" and again["updated_at"] == cluster["updated_at"]


def test_unhealthy_label_fails_the_kubernetes_health_check(api, template, clusters):
    cluster_id = clusters(template["uuid"], labels={"kube_tag": "v1.30.4", "localcloud_unhealthy": "true"})
    cluster, _ = api.wait(cluster_id)
    assert cluster["status"] == "CREATE_COMPLETE", cluster["status_reason"]
    cluster = wait_for_health(api, cluster_id)
    assert cluster["health_status"] == "UNHEALTHY"


def test_ca_rotation_refuses_old_certificates_and_accepts_new_ones(api, template, clusters, kube_access, tmp_path):
    cluster_id = clusters(template["uuid"])
    cluster, _ = api.wait(cluster_id)
    old_access = kube_access(cluster)
    assert old_access.node_names()
    old_ca = api.ca(cluster_id)

    rotated, _ = api.act_and_wait(cluster_id, lambda: api.rotate_ca(cluster_id))
    assert rotated["status"] == "UPDATE_COMPLETE", rotated["status_reason"]
    new_ca = api.ca(cluster_id)
    assert new_ca != old_ca
    assert rotated["api_address"] == cluster["api_address"]
    old_certificate = KubeAccess(tmp_path, rotated["api_address"], new_ca, old_access.cert_pem, old_access.key_pem)
    with pytest.raises(ApiException) as refused:
        old_certificate.node_names()
    assert refused.value.status == 401
    assert kube_access(rotated).node_names()


# Fault labels


def test_create_failure_label_fails_with_reason_and_faults(api, template, clusters):
    cluster_id = clusters(template["uuid"], labels={"kube_tag": "v1.30.4", "localcloud_fail": "create"})
    cluster, seen = api.wait(cluster_id)
    assert cluster["status"] == "CREATE_FAILED"
    assert "CREATE_COMPLETE" not in seen
    assert cluster["status_reason"]
    assert cluster["faults"]
    assert any("Test Resource failed" in fault for fault in cluster["faults"].values())
    assert not cluster["api_address"]


def test_update_failure_label_fails_a_resize(api, template, clusters):
    cluster_id = clusters(template["uuid"], labels={"kube_tag": "v1.30.4", "localcloud_fail": "update"})
    created, _ = api.wait(cluster_id)
    assert created["status"] == "CREATE_COMPLETE", created["status_reason"]
    cluster, seen = api.act_and_wait(cluster_id, lambda: api.action(cluster_id, "resize", {"node_count": 2}))
    assert cluster["status"] == "UPDATE_FAILED"
    assert cluster["status_reason"]
    assert any("Test Resource failed" in fault for fault in cluster["faults"].values())


def test_delete_failure_label_fails_the_first_delete_only(cloud, api, template):
    cluster_id = api.create_cluster(
        unique("driver-nodelete"), template["uuid"], labels={"kube_tag": "v1.30.4", "localcloud_fail": "delete"}
    )
    try:
        created, _ = api.wait(cluster_id)
        assert created["status"] == "CREATE_COMPLETE", created["status_reason"]
        failed, _ = api.act_and_wait(cluster_id, lambda: api.request("DELETE", "/clusters/%s" % cluster_id))
        assert failed["status"] == "DELETE_FAILED"
        # The port left behind blocks the subnet, network or security group: Neutron answers Heat 409 Conflict.
        assert "Conflict" in " ".join(failed["faults"].values())
        assert failed["status_reason"]
        assert listening(created["api_address"])
    finally:
        api.delete_cluster(cluster_id)
    assert api.get_cluster(cluster_id) is None


def test_delay_label_keeps_the_cluster_in_progress(api, template, clusters):
    delay = 8
    started = time.monotonic()
    cluster_id = clusters(template["uuid"], labels={"kube_tag": "v1.30.4", "localcloud_delay": str(delay)})
    while time.monotonic() - started < delay / 2:
        current = api.get_cluster(cluster_id)
        assert current is None or current["status"] == "CREATE_IN_PROGRESS"
        time.sleep(0.5)
    cluster, _ = api.wait(cluster_id)
    assert cluster["status"] == "CREATE_COMPLETE", cluster["status_reason"]
    assert time.monotonic() - started >= delay


def test_unknown_failure_label_is_refused_with_its_name(api, template, clusters):
    cluster_id = clusters(template["uuid"], labels={"localcloud_fail": "explode"})
    cluster, _ = api.wait(cluster_id)
    assert cluster["status"] == "CREATE_FAILED"
    assert "localcloud_fail" in cluster["status_reason"]


def test_record_only_label_makes_a_magnum_record_without_stack_ports_or_kubernetes_api(cloud, api, template):
    name = unique("driver-record")
    labels = {"kube_tag": "v1.30.4", "localcloud_record_only": "true"}
    cluster_id = api.create_cluster(name, template["uuid"], node_count=2, labels=labels)
    try:
        cluster, _ = api.wait(cluster_id)
        assert cluster["status"] == "CREATE_COMPLETE", cluster["status_reason"]
        assert (cluster["master_count"], cluster["node_count"], cluster["coe_version"]) == (1, 2, "v1.30.4")
        assert not stack_id(cluster)
        assert not cluster["api_address"]
        assert cluster["master_addresses"] == [] and cluster["node_addresses"] == []
        assert not emulator_state_dir(cluster_id).exists()
        assert not [stack for stack in cloud.orchestration.stacks() if stack.name.startswith(name)]
        assert not [port for port in cloud.network.ports() if port.name.startswith(name)]
        listed = api.request("GET", "/clusters").json()["clusters"]
        assert [c["status"] for c in listed if c["uuid"] == cluster_id] == ["CREATE_COMPLETE"]
        assert "BEGIN CERTIFICATE" in api.ca(cluster_id)

        refused, _ = api.act_and_wait(cluster_id, lambda: api.action(cluster_id, "resize", {"node_count": 3}))
        assert refused["status"] == "UPDATE_FAILED"
        assert "localcloud_record_only" in refused["status_reason"]
        assert refused["node_count"] == 2
    finally:
        api.delete_cluster(cluster_id)
    assert api.get_cluster(cluster_id) is None


# Delete


def test_delete_removes_stack_ports_and_kubernetes_api(cloud, api, template):
    cluster_id = api.create_cluster(unique("driver-delete"), template["uuid"])
    try:
        cluster, _ = api.wait(cluster_id)
        ports = cluster_ports(cloud, cluster)
        assert ports and listening(cluster["api_address"])
        assert emulator_state_dir(cluster_id).is_dir()
    finally:
        api.delete_cluster(cluster_id)
    assert api.get_cluster(cluster_id) is None
    assert cloud.orchestration.find_stack(stack_id(cluster), ignore_missing=True) is None
    assert not [
        cloud.network.find_port(port.id, ignore_missing=True)
        for port in ports.values()
        if cloud.network.find_port(port.id, ignore_missing=True)
    ]
    assert not listening(cluster["api_address"])
    assert not emulator_state_dir(cluster_id).exists()
