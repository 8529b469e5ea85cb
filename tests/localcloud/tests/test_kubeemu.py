"""The Kubernetes API emulator, driven by the official kubernetes client and kubectl as a user would."""

import base64
import json
import shutil
import socket
import subprocess
import time
import uuid

import pytest
import yaml
from kubernetes import client, config, dynamic, watch

from localcloud import kubeemu
from localcloud.kubeemu.cinder import CLUSTER_METADATA

NEW, OLD, MIGRATED = "v1.30.4", "v1.5.3", "v1.25.16"
# The emulators' Cinder CSI driver and in-tree plugin act as the member user, in its project.
CLUSTER_CLOUD = "localcloud-member"
CSI, IN_TREE = "cinder.csi.openstack.org", "kubernetes.io/cinder"
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _b64(data):
    return base64.b64encode(data).decode()


class Cluster:
    """An emulator process with its CA, and kubeconfigs for whoever a test wants to be."""

    def __init__(self, directory, version, cinder_csi=True, unhealthy=False):
        self.directory = directory
        self.unhealthy = unhealthy
        self.state_dir = str(directory / "state")
        self.version = version
        self.cinder_csi = cinder_csi
        self.cluster_id = f"kubeemu-test-{uuid.uuid4().hex[:8]}"
        self.ca_cert, self.ca_key = kubeemu.make_ca("cluster-ca")
        self.port = _free_port()
        self.start()

    def start(self):
        server_cert, server_key = kubeemu.make_server_certificate(self.ca_cert, self.ca_key)
        kubeemu.start_emulator(self.state_dir, self.port, self.ca_cert, server_cert, server_key,
                               version=self.version, cinder_csi=self.cinder_csi, unhealthy=self.unhealthy,
                               masters=[("k8s-master-0", "10.0.0.3")], nodes=["k8s-node-0", "k8s-node-1"],
                               openstack_cloud=CLUSTER_CLOUD, cluster_id=self.cluster_id)

    def stop(self):
        kubeemu.stop_emulator(self.state_dir)

    def volumes(self, conn):
        """The Cinder volumes this cluster's provisioners created."""
        return [volume for volume in conn.block_storage.volumes()
                if (volume.metadata or {}).get(CLUSTER_METADATA) == self.cluster_id]

    def remove(self, conn):
        """Stop the emulator and delete whatever volumes a failed test left in Cinder."""
        self.stop()
        for volume in self.volumes(conn):
            conn.block_storage.delete_volume(volume, ignore_missing=True)

    def kubeconfig(self, name, user="admin", groups=("system:masters",), ca=None):
        """Write a kubeconfig whose client certificate the given CA (default: the cluster's) signed."""
        ca_cert, ca_key = ca or (self.ca_cert, self.ca_key)
        user_entry = {}
        if user:
            cert, key = kubeemu.make_client_certificate(ca_cert, ca_key, user, groups)
            user_entry = {"client-certificate-data": _b64(cert), "client-key-data": _b64(key)}
        document = {
            "apiVersion": "v1", "kind": "Config", "current-context": "default",
            "clusters": [{"name": "cluster", "cluster": {"server": f"https://127.0.0.1:{self.port}",
                                                         "certificate-authority-data": _b64(self.ca_cert)}}],
            "users": [{"name": "user", "user": user_entry}],
            "contexts": [{"name": "default", "context": {"cluster": "cluster", "user": "user"}}],
        }
        path = self.directory / f"{name}.kubeconfig"
        path.write_text(yaml.safe_dump(document))
        return str(path)

    def api(self, **kwargs):
        return config.new_client_from_config(self.kubeconfig("admin", **kwargs))


@pytest.fixture(scope="module")
def new_cluster(tmp_path_factory, member_cloud):
    cluster = Cluster(tmp_path_factory.mktemp("new"), NEW)
    yield cluster
    cluster.remove(member_cloud)


@pytest.fixture(scope="module")
def old_cluster(tmp_path_factory, member_cloud):
    cluster = Cluster(tmp_path_factory.mktemp("old"), OLD, cinder_csi=False)
    yield cluster
    cluster.remove(member_cloud)


@pytest.fixture(scope="module")
def migrated_cluster(tmp_path_factory, member_cloud):
    cluster = Cluster(tmp_path_factory.mktemp("migrated"), MIGRATED)
    yield cluster
    cluster.remove(member_cloud)


@pytest.fixture(scope="module")
def admin(new_cluster):
    return new_cluster.api()


@pytest.fixture
def core(admin):
    return client.CoreV1Api(admin)


@pytest.fixture
def storage(admin):
    return client.StorageV1Api(admin)


def _wait_for(read, done, timeout=30):
    """Poll read() until done(value); the last value read either way."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.05)
        value = read()
    return value


def _storage_class(name, provisioner=CSI, **fields):
    return {"metadata": {"name": name}, "provisioner": provisioner, **fields}


def _claim(name, size="1Gi", storage_class=None):
    spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    return {"metadata": {"name": name}, "spec": spec}


def _events(core, namespace, claim_name):
    return [(event.reason, event.message) for event in core.list_namespaced_event(namespace).items
            if event.involved_object.name == claim_name]


def _status(error):
    return json.loads(error.body)


def _health(cluster, path):
    """(status, body) of a GET as an admin, through the client's own REST layer."""
    rest = cluster.api().rest_client
    try:
        response = rest.request("GET", f"https://127.0.0.1:{cluster.port}{path}")
        response.read()
        return response.status, response.data.decode()
    except client.ApiException as error:
        return error.status, error.body.decode() if isinstance(error.body, bytes) else error.body


def test_health_endpoints_answer_ok(new_cluster):
    for path in ("/healthz", "/livez", "/readyz"):
        assert _health(new_cluster, path) == (200, "ok")


def test_unhealthy_emulator_fails_its_health_checks_as_kube_apiserver_does(tmp_path):
    cluster = Cluster(tmp_path, NEW, unhealthy=True)
    try:
        status, body = _health(cluster, "/healthz")
        assert status == 500
        assert "[-]etcd failed" in body and body.endswith("healthz check failed")
        # Everything else is served as usual.
        assert client.VersionApi(cluster.api()).get_code().git_version == NEW
    finally:
        cluster.stop()


def test_discovery_of_a_current_cluster(admin):
    assert client.VersionApi(admin).get_code().git_version == NEW
    groups = {group.name: group for group in client.ApisApi(admin).get_api_versions().groups}
    assert [version.version for version in groups["storage.k8s.io"].versions] == ["v1"]
    resources = {resource.name for resource in client.StorageV1Api(admin).get_api_resources().resources}
    assert {"storageclasses", "csidrivers"} <= resources
    assert {"nodes", "namespaces", "persistentvolumeclaims", "persistentvolumes"} <= {
        resource.name for resource in client.CoreV1Api(admin).get_api_resources().resources}


def test_discovery_of_an_old_cluster(old_cluster):
    api = old_cluster.api()
    version = client.VersionApi(api).get_code()
    assert (version.git_version, version.major, version.minor) == (OLD, "1", "5")
    groups = {group.name: group for group in client.ApisApi(api).get_api_versions().groups}
    assert [version.version for version in groups["storage.k8s.io"].versions] == ["v1beta1"]
    with pytest.raises(client.ApiException) as error:
        client.StorageV1Api(api).list_storage_class()
    assert error.value.status == 404


def test_nodes_and_cinder_csi_driver_exist(core, storage):
    nodes = {node.metadata.name: node for node in core.list_node().items}
    assert set(nodes) == {"k8s-master-0", "k8s-node-0", "k8s-node-1"}
    assert all(
        [c.status for c in node.status.conditions if c.type == "Ready"] == ["True"] for node in nodes.values())
    assert nodes["k8s-master-0"].status.addresses[0].address == "10.0.0.3"
    assert nodes["k8s-node-0"].status.node_info.kubelet_version == NEW
    assert [driver.metadata.name for driver in storage.list_csi_driver().items] == [CSI]
    assert {ns.metadata.name for ns in core.list_namespace().items} >= {"default", "kube-system"}


def test_storage_class_lifecycle(storage):
    created = storage.create_storage_class(_storage_class("gold", parameters={"type": "ssd"}))
    assert (created.reclaim_policy, created.volume_binding_mode) == ("Delete", "Immediate")
    assert created.metadata.uid and created.metadata.creation_timestamp

    with pytest.raises(client.ApiException) as error:
        storage.create_storage_class(_storage_class("gold"))
    assert (error.value.status, _status(error.value)["reason"]) == (409, "AlreadyExists")

    patched = storage.patch_storage_class("gold", {"allowVolumeExpansion": True})
    assert patched.allow_volume_expansion is True
    assert int(patched.metadata.resource_version) > int(created.metadata.resource_version)

    with pytest.raises(client.ApiException) as error:
        storage.replace_storage_class("gold", created)
    assert (error.value.status, _status(error.value)["reason"]) == (409, "Conflict")

    listed = storage.list_storage_class(field_selector="metadata.name=gold")
    assert [item.metadata.name for item in listed.items] == ["gold"]

    storage.delete_storage_class("gold")
    with pytest.raises(client.ApiException) as error:
        storage.read_storage_class("gold")
    status = _status(error.value)
    assert (error.value.status, status["reason"], status["details"]) == (
        404, "NotFound", {"name": "gold", "group": "storage.k8s.io", "kind": "storageclasses"})


@pytest.mark.parametrize("change, field", [
    ({"parameters": {"type": "other"}}, "parameters"),
    ({"provisioner": IN_TREE}, "provisioner"),
    ({"reclaimPolicy": "Retain"}, "reclaimPolicy"),
    ({"volumeBindingMode": "WaitForFirstConsumer"}, "volumeBindingMode"),
])
def test_storage_class_fields_are_immutable(storage, change, field):
    name = f"fixed-{field.lower()}"
    storage.create_storage_class(_storage_class(name, parameters={"type": "ssd"}))
    with pytest.raises(client.ApiException) as error:
        storage.patch_storage_class(name, change)
    status = _status(error.value)
    assert (error.value.status, status["reason"]) == (422, "Invalid")
    assert [cause["field"] for cause in status["details"]["causes"]] == [field]
    storage.delete_storage_class(name)


def test_json_patch_and_label_selector(storage):
    storage.create_storage_class(_storage_class("labelled"))
    storage.patch_storage_class("labelled", [{"op": "add", "path": "/metadata/labels", "value": {"tier": "a"}}])
    assert [item.metadata.name for item in storage.list_storage_class(label_selector="tier=a").items] == ["labelled"]
    assert storage.list_storage_class(label_selector="tier in (b, c)").items == []
    storage.delete_storage_class("labelled")


def test_claim_of_an_immediate_class_is_bound(core, storage):
    storage.create_storage_class({**_storage_class("standard"),
                                  "metadata": {"name": "standard", "annotations": {DEFAULT_CLASS: "true"}}})
    claim = core.create_namespaced_persistent_volume_claim("default", _claim("data", "3Gi"))
    assert claim.spec.storage_class_name == "standard"

    bound = _wait_for(lambda: core.read_namespaced_persistent_volume_claim("data", "default"),
                      lambda c: c.status.phase == "Bound")
    assert bound.status.phase == "Bound"
    assert bound.status.capacity == {"storage": "3Gi"}
    volume = core.read_persistent_volume(bound.spec.volume_name)
    assert volume.status.phase == "Bound"
    assert volume.spec.csi.driver == CSI and volume.spec.csi.volume_handle
    assert volume.spec.claim_ref.name == "data"

    deleted = core.delete_namespaced_persistent_volume_claim("data", "default")
    assert deleted.metadata.deletion_timestamp
    volumes = _wait_for(lambda: core.list_persistent_volume().items, lambda items: not items)
    assert volumes == []
    assert core.list_namespaced_persistent_volume_claim("default").items == []
    storage.delete_storage_class("standard")


def test_claim_of_a_wait_for_first_consumer_class_stays_pending(core, storage):
    storage.create_storage_class(_storage_class("late", volumeBindingMode="WaitForFirstConsumer"))
    core.create_namespaced_persistent_volume_claim("default", _claim("later", storage_class="late"))
    events = _wait_for(lambda: _events(core, "default", "later"), bool)
    assert [reason for reason, _ in events] == ["WaitForFirstConsumer"]
    assert core.read_namespaced_persistent_volume_claim("later", "default").status.phase == "Pending"
    assert core.list_persistent_volume().items == []
    core.delete_namespaced_persistent_volume_claim("later", "default")
    storage.delete_storage_class("late")


def test_first_consumer_binds_the_claim_and_protects_it(core, storage):
    storage.create_storage_class(_storage_class("on-use", volumeBindingMode="WaitForFirstConsumer"))
    core.create_namespaced_persistent_volume_claim("default", _claim("used", storage_class="on-use"))
    core.create_namespaced_pod("default", {
        "metadata": {"name": "consumer"},
        "spec": {"containers": [{"name": "app", "image": "busybox"}],
                 "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "used"}}]},
    })
    pod = _wait_for(lambda: core.read_namespaced_pod("consumer", "default"), lambda p: p.status.phase == "Running")
    assert pod.spec.node_name in ("k8s-node-0", "k8s-node-1")
    claim = core.read_namespaced_persistent_volume_claim("used", "default")
    assert claim.status.phase == "Bound"

    core.delete_namespaced_persistent_volume_claim("used", "default")
    in_use = core.read_namespaced_persistent_volume_claim("used", "default")
    assert in_use.metadata.deletion_timestamp and in_use.status.phase == "Bound"
    core.delete_namespaced_pod("consumer", "default")
    remaining = _wait_for(
        lambda: core.list_namespaced_persistent_volume_claim("default").items + core.list_persistent_volume().items,
        lambda items: not items)
    assert remaining == []
    storage.delete_storage_class("on-use")


def test_watch_reports_the_binding(admin, core, storage):
    storage.create_storage_class(_storage_class("watched"))
    created = core.create_namespaced_persistent_volume_claim("default", _claim("watched", storage_class="watched"))
    stream = watch.Watch().stream(core.list_namespaced_persistent_volume_claim, "default",
                                  field_selector="metadata.name=watched",
                                  resource_version=created.metadata.resource_version, timeout_seconds=10)
    phases = []
    for event in stream:
        phases.append((event["type"], event["object"].status.phase))
        if event["object"].status.phase == "Bound":
            break
    assert phases[-1] == ("MODIFIED", "Bound")
    core.delete_namespaced_persistent_volume_claim("watched", "default")
    _wait_for(lambda: core.list_persistent_volume().items, lambda items: not items)
    storage.delete_storage_class("watched")


def test_in_tree_cinder_no_longer_provisions_on_new_versions(core, storage):
    storage.create_storage_class(_storage_class("legacy", provisioner=IN_TREE))
    core.create_namespaced_persistent_volume_claim("default", _claim("legacy", storage_class="legacy"))
    events = _wait_for(lambda: _events(core, "default", "legacy"), bool)
    assert [reason for reason, _ in events] == ["ProvisioningFailed"]
    assert IN_TREE in events[0][1]
    assert core.read_namespaced_persistent_volume_claim("legacy", "default").status.phase == "Pending"
    core.delete_namespaced_persistent_volume_claim("legacy", "default")
    storage.delete_storage_class("legacy")


def test_old_cluster_binds_in_tree_claims_through_v1beta1(old_cluster, member_cloud):
    resources = dynamic.DynamicClient(old_cluster.api()).resources
    classes = resources.get(api_version="storage.k8s.io/v1beta1", kind="StorageClass")
    claims = resources.get(api_version="v1", kind="PersistentVolumeClaim")
    volumes = resources.get(api_version="v1", kind="PersistentVolume")
    classes.create(body={"apiVersion": "storage.k8s.io/v1beta1", "kind": "StorageClass",
                         "metadata": {"name": "standard",
                                      "annotations": {"storageclass.beta.kubernetes.io/is-default-class": "true"}},
                         "provisioner": IN_TREE, "parameters": {"availability": "nova"}})
    claims.create(body=_claim("old-data"), namespace="default")
    bound = _wait_for(lambda: claims.get(name="old-data", namespace="default"),
                      lambda claim: claim.status.phase == "Bound")
    # Before 1.6 the default class is written into the beta annotation: spec.storageClassName does not exist yet.
    assert (bound.metadata.annotations["volume.beta.kubernetes.io/storage-class"], bound.status.phase) == (
        "standard", "Bound")
    assert bound.spec.storageClassName is None
    volume = volumes.get(name=bound.spec.volumeName)
    cinder_volume = member_cloud.block_storage.get_volume(volume.spec.cinder.volumeID)
    assert (cinder_volume.status, cinder_volume.size, cinder_volume.availability_zone) == ("available", 1, "nova")
    assert volume.metadata.annotations["pv.kubernetes.io/provisioned-by"] == IN_TREE


def test_csi_claim_is_a_real_cinder_volume_deleted_with_the_claim(core, storage, member_cloud, new_cluster):
    storage.create_storage_class(_storage_class("cinder-fast", parameters={"type": "fast", "availability": "nova"}))
    core.create_namespaced_persistent_volume_claim("default", _claim("real", "2Gi", "cinder-fast"))
    bound = _wait_for(lambda: core.read_namespaced_persistent_volume_claim("real", "default"),
                      lambda claim: claim.status.phase == "Bound")
    assert (bound.status.phase, bound.status.capacity) == ("Bound", {"storage": "2Gi"})
    volume = core.read_persistent_volume(bound.spec.volume_name)
    cinder_volume = member_cloud.block_storage.get_volume(volume.spec.csi.volume_handle)
    assert (cinder_volume.name, cinder_volume.status, cinder_volume.size, cinder_volume.volume_type,
            cinder_volume.availability_zone) == (volume.metadata.name, "available", 2, "fast", "nova")
    assert cinder_volume.metadata[CLUSTER_METADATA] == new_cluster.cluster_id
    assert sorted(reason for reason, _ in _events(core, "default", "real")) == ["Provisioning", "ProvisioningSucceeded"]

    core.delete_namespaced_persistent_volume_claim("real", "default")
    assert _wait_for(lambda: core.list_persistent_volume().items, lambda items: not items) == []
    assert member_cloud.block_storage.find_volume(cinder_volume.id) is None
    storage.delete_storage_class("cinder-fast")


def test_retained_volume_outlives_its_claim(core, storage, member_cloud):
    storage.create_storage_class(_storage_class("kept", reclaimPolicy="Retain"))
    core.create_namespaced_persistent_volume_claim("default", _claim("kept", storage_class="kept"))
    bound = _wait_for(lambda: core.read_namespaced_persistent_volume_claim("kept", "default"),
                      lambda claim: claim.status.phase == "Bound")
    handle = core.read_persistent_volume(bound.spec.volume_name).spec.csi.volume_handle
    core.delete_namespaced_persistent_volume_claim("kept", "default")
    released = _wait_for(lambda: core.read_persistent_volume(bound.spec.volume_name),
                         lambda volume: volume.status.phase == "Released")
    assert released.status.phase == "Released"
    assert member_cloud.block_storage.get_volume(handle).status == "available"
    core.delete_persistent_volume(bound.spec.volume_name)
    member_cloud.block_storage.delete_volume(handle)
    storage.delete_storage_class("kept")


@pytest.mark.parametrize("parameters, cinder_answer", [
    ({"type": "no-such-type"}, '404 instead: {"itemNotFound": {"code": 404, "message": "Volume type with name '
                               'no-such-type could not be found."}}'),
    ({"availability": "elsewhere"}, '400 instead: {"badRequest": {"code": 400, "message": "Availability zone '
                                    "'elsewhere' is invalid.\"}}"),
])
def test_claim_cinder_refuses_stays_pending_with_the_provisioner_event(core, storage, member_cloud, new_cluster,
                                                                      parameters, cinder_answer):
    name = f"refused-{next(iter(parameters))}"
    storage.create_storage_class(_storage_class(name, parameters=parameters))
    core.create_namespaced_persistent_volume_claim("default", _claim(name, storage_class=name))
    failures = _wait_for(lambda: [message for reason, message in _events(core, "default", name)
                                  if reason == "ProvisioningFailed"], bool)
    volumes_url = member_cloud.block_storage.get_endpoint() + "/volumes"
    assert failures == [
        f'failed to provision volume with StorageClass "{name}": rpc error: code = Internal desc = CreateVolume '
        f"failed with error Expected HTTP response code [202] when accessing [POST {volumes_url}], but got "
        + cinder_answer]
    assert core.read_namespaced_persistent_volume_claim(name, "default").status.phase == "Pending"
    assert core.list_persistent_volume().items == []
    assert new_cluster.volumes(member_cloud) == []
    core.delete_namespaced_persistent_volume_claim(name, "default")
    storage.delete_storage_class(name)


def test_migrated_in_tree_class_provisions_through_the_csi_driver(migrated_cluster, member_cloud):
    api = migrated_cluster.api()
    core, storage = client.CoreV1Api(api), client.StorageV1Api(api)
    storage.create_storage_class(_storage_class("legacy", provisioner=IN_TREE, parameters={"type": "standard"}))
    core.create_namespaced_persistent_volume_claim("default", _claim("legacy", storage_class="legacy"))
    bound = _wait_for(lambda: core.read_namespaced_persistent_volume_claim("legacy", "default"),
                      lambda claim: claim.status.phase == "Bound")
    assert bound.metadata.annotations["volume.kubernetes.io/storage-provisioner"] == CSI
    volume = core.read_persistent_volume(bound.spec.volume_name)
    assert volume.metadata.annotations["pv.kubernetes.io/migrated-to"] == CSI
    cinder_volume = member_cloud.block_storage.get_volume(volume.spec.cinder.volume_id)
    assert (cinder_volume.status, cinder_volume.volume_type) == ("available", "standard")
    core.delete_namespaced_persistent_volume_claim("legacy", "default")
    assert _wait_for(lambda: core.list_persistent_volume().items, lambda items: not items) == []
    assert member_cloud.block_storage.find_volume(cinder_volume.id) is None


def test_claim_expansion(core, storage, member_cloud):
    storage.create_storage_class(_storage_class("growing", allowVolumeExpansion=True))
    storage.create_storage_class(_storage_class("fixed-size"))
    for name, class_name in (("grows", "growing"), ("stays", "fixed-size")):
        core.create_namespaced_persistent_volume_claim("default", _claim(name, "1Gi", class_name))
        _wait_for(lambda name=name: core.read_namespaced_persistent_volume_claim(name, "default"),
                  lambda c: c.status.phase == "Bound")

    core.patch_namespaced_persistent_volume_claim("grows", "default",
                                                  {"spec": {"resources": {"requests": {"storage": "2Gi"}}}})
    grown = _wait_for(lambda: core.read_namespaced_persistent_volume_claim("grows", "default"),
                      lambda c: c.status.capacity == {"storage": "2Gi"})
    assert grown.status.capacity == {"storage": "2Gi"}
    grown_volume = core.read_persistent_volume(grown.spec.volume_name)
    assert grown_volume.spec.capacity == {"storage": "2Gi"}
    assert member_cloud.block_storage.get_volume(grown_volume.spec.csi.volume_handle).size == 2

    with pytest.raises(client.ApiException) as error:
        core.patch_namespaced_persistent_volume_claim("grows", "default",
                                                      {"spec": {"resources": {"requests": {"storage": "1Gi"}}}})
    assert error.value.status == 422
    assert "can not be less than" in _status(error.value)["message"]

    with pytest.raises(client.ApiException) as error:
        core.patch_namespaced_persistent_volume_claim("stays", "default",
                                                      {"spec": {"resources": {"requests": {"storage": "5Gi"}}}})
    assert error.value.status == 403
    assert "must support resize" in _status(error.value)["message"]

    with pytest.raises(client.ApiException) as error:
        core.patch_namespaced_persistent_volume_claim("stays", "default", {"spec": {"accessModes": ["ReadWriteMany"]}})
    assert (error.value.status, _status(error.value)["details"]["causes"][0]["field"]) == (422, "spec")

    for name in ("grows", "stays"):
        core.delete_namespaced_persistent_volume_claim(name, "default")
    _wait_for(lambda: core.list_persistent_volume().items, lambda items: not items)
    storage.delete_storage_class("growing")
    storage.delete_storage_class("fixed-size")


def test_unknown_namespace_and_claim(core):
    with pytest.raises(client.ApiException) as error:
        core.create_namespaced_persistent_volume_claim("nowhere", _claim("lost"))
    assert (error.value.status, _status(error.value)["details"]) == (404, {"name": "nowhere", "kind": "namespaces"})
    with pytest.raises(client.ApiException) as error:
        core.read_namespaced_persistent_volume_claim("missing", "default")
    assert _status(error.value)["message"] == 'persistentvolumeclaims "missing" not found'


def test_deleting_a_namespace_deletes_its_claims(core, storage):
    storage.create_storage_class(_storage_class("scratch"))
    core.create_namespace({"metadata": {"name": "team"}})
    core.create_namespaced_persistent_volume_claim("team", _claim("scratch", storage_class="scratch"))
    _wait_for(lambda: core.read_namespaced_persistent_volume_claim("scratch", "team"),
              lambda claim: claim.status.phase == "Bound")
    core.delete_namespace("team")
    namespaces = _wait_for(lambda: [ns.metadata.name for ns in core.list_namespace().items],
                           lambda names: "team" not in names)
    assert "team" not in namespaces
    assert _wait_for(lambda: core.list_persistent_volume().items, lambda items: not items) == []
    with pytest.raises(client.ApiException) as error:
        core.delete_namespace("kube-system")
    assert error.value.status == 403
    storage.delete_storage_class("scratch")


def test_dry_run_and_server_side_apply(storage):
    planned = storage.create_storage_class(_storage_class("planned"), dry_run="All")
    assert planned.reclaim_policy == "Delete"
    assert storage.list_storage_class(field_selector="metadata.name=planned").items == []

    applied = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "applied"},
               "provisioner": CSI, "allowVolumeExpansion": False}
    storage.patch_storage_class("applied", applied, field_manager="test",
                                _content_type="application/apply-patch+yaml")
    storage.patch_storage_class("applied", dict(applied, allowVolumeExpansion=True), field_manager="test",
                                _content_type="application/apply-patch+yaml")
    assert storage.read_storage_class("applied").allow_volume_expansion is True
    storage.delete_storage_class("applied")


def test_certificate_of_another_ca_is_unauthorized(new_cluster):
    foreign_ca = kubeemu.make_ca("foreign-ca")
    api = new_cluster.api(ca=foreign_ca)
    with pytest.raises(client.ApiException) as error:
        client.CoreV1Api(api).list_node()
    assert (error.value.status, _status(error.value)["reason"]) == (401, "Unauthorized")


def test_no_certificate_is_unauthorized(new_cluster):
    with pytest.raises(client.ApiException) as error:
        client.VersionApi(new_cluster.api(user=None)).get_code()
    assert error.value.status == 401


def test_user_outside_system_masters_is_forbidden(new_cluster):
    api = new_cluster.api(user="viewer", groups=("developers",))
    assert client.VersionApi(api).get_code().git_version == NEW
    with pytest.raises(client.ApiException) as error:
        client.CoreV1Api(api).list_node()
    status = _status(error.value)
    assert (error.value.status, status["reason"]) == (403, "Forbidden")
    assert 'User "viewer" cannot list resource "nodes"' in status["message"]


def test_restart_keeps_objects(tmp_path, clouds_yaml):
    cluster = Cluster(tmp_path, NEW)
    try:
        storage = client.StorageV1Api(cluster.api())
        created = storage.create_storage_class(_storage_class("kept"))
        cluster.stop()
        assert kubeemu.emulator_pid(cluster.state_dir) is None
        cluster.start()
        storage = client.StorageV1Api(cluster.api())
        kept = storage.read_storage_class("kept")
        assert kept.metadata.uid == created.metadata.uid
        assert int(storage.create_storage_class(_storage_class("later")).metadata.resource_version) > int(
            created.metadata.resource_version)
    finally:
        cluster.stop()


KUBECTL_MANIFEST = """
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: kubectl-class}
provisioner: cinder.csi.openstack.org
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: kubectl-claim, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: kubectl-class
  resources: {requests: {storage: 2Gi}}
"""


def _kubectl(kubeconfig, *arguments, stdin=None):
    result = subprocess.run(["kubectl", "--kubeconfig", kubeconfig, *arguments], input=stdin, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return [line.split() for line in result.stdout.splitlines()]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl(new_cluster):
    kubeconfig = new_cluster.kubeconfig("kubectl")
    nodes = _kubectl(kubeconfig, "get", "nodes")
    assert nodes[0][:2] == ["NAME", "STATUS"]
    assert sorted((row[0], row[1]) for row in nodes[1:]) == [
        ("k8s-master-0", "Ready"), ("k8s-node-0", "Ready"), ("k8s-node-1", "Ready")]

    assert _kubectl(kubeconfig, "apply", "-f", "-", stdin=KUBECTL_MANIFEST) == [
        ["storageclass.storage.k8s.io/kubectl-class", "created"], ["persistentvolumeclaim/kubectl-claim", "created"]]
    assert _kubectl(kubeconfig, "apply", "-f", "-", stdin=KUBECTL_MANIFEST) == [
        ["storageclass.storage.k8s.io/kubectl-class", "unchanged"],
        ["persistentvolumeclaim/kubectl-claim", "unchanged"]]
    _kubectl(kubeconfig, "wait", "--for=jsonpath={.status.phase}=Bound", "pvc/kubectl-claim", "--timeout=20s")
    assert _kubectl(kubeconfig, "get", "pvc", "kubectl-claim", "-o", "jsonpath={.status.capacity.storage}") == [
        ["2Gi"]]
    _kubectl(kubeconfig, "delete", "-f", "-", stdin=KUBECTL_MANIFEST)
