"""Cluster API's controllers (core, kubeadm control plane, CAPO, addon provider), reconciled in one loop.

They act as the real ones do on the objects the chart renders: finalizers, machines per KubeadmControlPlane and
MachineDeployment (created, removed and replaced on a version change), the infrastructure in Neutron (capo.py),
a workload cluster (a Kubernetes API emulator signed by the CA Secret magnum-capi-helm stores), its kubeconfig
Secret, the addons (the csi-cinder StorageClasses applied in the workload cluster) and the status fields and
conditions magnum-capi-helm reads. Deletion runs in the order Cluster API uses: machines, then the
OpenStackCluster's resources, then the Cluster.
"""

import base64
import json
import logging
import os
import random
import shutil
import string
import threading
from pathlib import Path

from localcloud import kubeemu
from localcloud.kubeemu import certs
from localcloud.process import port_free

from . import WORKLOAD_PORTS
from .capo import Capo, connect
from .kubeclient import KubeClient, KubeError, write_kubeconfig
from .resources import ADDONS_GROUP, CAPI_GROUP, CONTROL_PLANE_GROUP, INFRASTRUCTURE_GROUP

LOG = logging.getLogger(__name__)
CAPI = f"{CAPI_GROUP}/v1beta1"
KCP = f"{CONTROL_PLANE_GROUP}/v1beta1"
INFRA = f"{INFRASTRUCTURE_GROUP}/v1beta1"
ADDONS = f"{ADDONS_GROUP}/v1alpha1"
CLUSTER_FINALIZER = "cluster.cluster.x-k8s.io"
INFRA_FINALIZER = "openstackcluster.infrastructure.cluster.x-k8s.io"
MACHINE_FINALIZER = "machine.cluster.x-k8s.io"
CLUSTER_NAME = "cluster.x-k8s.io/cluster-name"
CONTROL_PLANE_NAME = "cluster.x-k8s.io/control-plane-name"
DEPLOYMENT_NAME = "cluster.x-k8s.io/deployment-name"
RECORD = "capi-workload.json"


def _true(*types):
    return [{"type": kind, "status": "True", "lastTransitionTime": _now()} for kind in types]


def _now():
    from localcloud.kubeemu.objects import now_rfc3339
    return now_rfc3339()


def _suffix():
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=5))


class Controllers:
    def __init__(self, client: KubeClient, kube_dir: Path, python: str, interval: float = 1.0, wait_for_change=None):
        self.client = client
        self.kube_dir = kube_dir
        self.python = python
        self.interval = interval
        # wait_for_change(seen, timeout) -> the store's version: a pass runs as soon as any object changes,
        # as the real controllers react to their watches.
        self.wait_for_change = wait_for_change
        self._stopping = threading.Event()
        self._thread = None
        self._connections = {}

    # ---- loop --------------------------------------------------------------------------------------------------
    def start(self):
        self._thread = threading.Thread(target=self._loop, name="cluster-api", daemon=True)
        self._thread.start()

    def stop(self):
        self._stopping.set()

    def _loop(self):
        seen = None
        while not self._stopping.is_set():
            try:
                for cluster in self.client.list(CAPI, "clusters"):
                    try:
                        self.reconcile(cluster)
                    except Exception:  # noqa: BLE001 - one cluster's failure must not stop the others
                        LOG.exception("reconciling Cluster %s/%s failed", cluster["metadata"]["namespace"],
                                      cluster["metadata"]["name"])
            except Exception:  # noqa: BLE001
                LOG.exception("listing clusters failed")
            if self.wait_for_change:
                seen = self.wait_for_change(seen, self.interval)
            else:
                self._stopping.wait(self.interval)

    # ---- helpers ------------------------------------------------------------------------------------------------
    def _patch(self, api_version, plural, obj, body, status=False):
        metadata = obj["metadata"]
        return self.client.patch(api_version, plural, metadata["namespace"], metadata["name"], body,
                                 "status" if status else None)

    def _set_status(self, api_version, plural, obj, status):
        """Write status only when it changes; a condition keeps its lastTransitionTime while its status holds."""
        current = obj.get("status") or {}
        before = {condition["type"]: condition for condition in current.get("conditions") or []}
        for condition in status.get("conditions") or []:
            previous = before.get(condition["type"])
            if previous and previous.get("status") == condition["status"]:
                condition["lastTransitionTime"] = previous.get("lastTransitionTime")
        if all(current.get(key) == value for key, value in status.items()):
            return obj
        return self._patch(api_version, plural, obj, {"status": status}, status=True)

    def _finalize(self, api_version, plural, obj, finalizer, present):
        finalizers = list(obj["metadata"].get("finalizers") or [])
        if present and finalizer not in finalizers:
            finalizers.append(finalizer)
        elif not present and finalizer in finalizers:
            finalizers.remove(finalizer)
        else:
            return obj
        return self._patch(api_version, plural, obj, {"metadata": {"finalizers": finalizers}})

    def _secret(self, namespace, name, key):
        secret = self.client.get("v1", "secrets", namespace, name)
        if not secret or key not in (secret.get("data") or {}):
            return None
        return base64.b64decode(secret["data"][key])

    def _capo(self, namespace, infra):
        identity = (infra.get("spec") or {}).get("identityRef") or {}
        clouds_yaml = self._secret(namespace, identity.get("name"), "clouds.yaml")
        if clouds_yaml is None:
            raise RuntimeError(f"identityRef Secret {namespace}/{identity.get('name')} has no clouds.yaml")
        # One connection per credential: a new one would authenticate against Keystone on every pass.
        if clouds_yaml not in self._connections:
            self._connections[clouds_yaml] = connect(clouds_yaml.decode())
        return Capo(self._connections[clouds_yaml]), clouds_yaml

    def _state_dir(self, namespace, name):
        return self.kube_dir / f"capi-{namespace}-{name}"

    def _owned(self, namespace, cluster_name, label, owner):
        return [m for m in self._machines(namespace, cluster_name)
                if m["metadata"]["labels"].get(label) == owner["metadata"]["name"]
                and not m["metadata"].get("deletionTimestamp")]

    def _machines(self, namespace, cluster_name):
        return self.client.list(CAPI, "machines", namespace, f"{CLUSTER_NAME}={cluster_name}")

    # ---- Cluster ------------------------------------------------------------------------------------------------
    def reconcile(self, cluster):
        namespace, name = cluster["metadata"]["namespace"], cluster["metadata"]["name"]
        infra_ref = cluster["spec"].get("infrastructureRef") or {}
        infra = self.client.get(INFRA, "openstackclusters", namespace, infra_ref.get("name"))
        if cluster["metadata"].get("deletionTimestamp"):
            self._delete(cluster, infra)
            return
        cluster = self._finalize(CAPI, "clusters", cluster, CLUSTER_FINALIZER, True)
        if infra is None:
            return
        infra = self._finalize(INFRA, "openstackclusters", infra, INFRA_FINALIZER, True)
        capo, clouds_yaml = self._capo(namespace, infra)
        if not (infra.get("status") or {}).get("ready"):
            status = capo.reconcile_cluster(namespace, name, infra["spec"])
            infra = self._patch(INFRA, "openstackclusters", infra, {"status": status}, status=True)
        if not infra["spec"].get("controlPlaneEndpoint"):
            # The API server's address: the emulator of the workload cluster listens on 127.0.0.1 (there is no
            # Octavia load balancer here), on a port of its own.
            endpoint = {"host": "127.0.0.1", "port": self._allocate_port(namespace, name)}
            infra = self._patch(INFRA, "openstackclusters", infra, {"spec": {"controlPlaneEndpoint": endpoint}})
        if cluster["spec"].get("controlPlaneEndpoint") != infra["spec"]["controlPlaneEndpoint"]:
            cluster = self._patch(CAPI, "clusters", cluster,
                                  {"spec": {"controlPlaneEndpoint": infra["spec"]["controlPlaneEndpoint"]}})
        kcp = self.client.get(KCP, "kubeadmcontrolplanes", namespace, cluster["spec"]["controlPlaneRef"]["name"])
        network_id = infra["status"]["network"]["id"]
        groups = infra["status"]
        deployments = [md for md in self.client.list(CAPI, "machinedeployments", namespace)
                       if md["spec"].get("clusterName") == name]
        # A changed spec shows in the status first (ScalingUp/Down, fewer updated replicas), before any machine.
        api_was_up = kubeemu.emulator_pid(str(self._state_dir(namespace, name))) is not None
        if kcp:
            self._kcp_status(kcp, self._owned(namespace, name, CONTROL_PLANE_NAME, kcp), api_was_up)
        for deployment in deployments:
            self._md_status(deployment, namespace, api_was_up)
        kcp = kcp and self.client.get(KCP, "kubeadmcontrolplanes", namespace, kcp["metadata"]["name"])
        deployments = [md for md in (self.client.get(CAPI, "machinedeployments", namespace, md["metadata"]["name"])
                                     for md in deployments) if md]
        cp_machines = self._scale(cluster, kcp, "control-plane", capo, network_id,
                                  (groups.get("controlPlaneSecurityGroup") or {}).get("id")) if kcp else []
        workers = []
        for deployment in deployments:
            workers += self._scale(cluster, deployment, "worker", capo, network_id,
                                   (groups.get("workerSecurityGroup") or {}).get("id"))
        self._remove_orphans(cluster, deployments, capo, network_id)
        api_up = bool(cp_machines) and self._workload(cluster, kcp, cp_machines, workers, clouds_yaml)
        # Objects helm removed during this pass (an uninstall) are not written to.
        kcp = kcp and self.client.get(KCP, "kubeadmcontrolplanes", namespace, kcp["metadata"]["name"])
        if kcp:
            self._kcp_status(kcp, cp_machines, api_up)
        for deployment in deployments:
            deployment = self.client.get(CAPI, "machinedeployments", namespace, deployment["metadata"]["name"])
            if deployment:
                self._md_status(deployment, namespace, api_up)
        self._cluster_status(cluster, api_up)
        if api_up:
            self._addons(cluster)

    def _allocate_port(self, namespace, name):
        taken = set()
        for record in self.kube_dir.glob(f"capi-*/{RECORD}"):
            try:
                taken.add(json.loads(record.read_text())["port"])
            except (OSError, ValueError, KeyError):
                continue
        for infra in self.client.list(INFRA, "openstackclusters"):
            endpoint = infra["spec"].get("controlPlaneEndpoint")
            if endpoint:
                taken.add(endpoint["port"])
        for port in WORKLOAD_PORTS:
            if port not in taken and port_free(port):
                return port
        raise RuntimeError("no free port for a workload cluster")

    # ---- machines -----------------------------------------------------------------------------------------------
    def _scale(self, cluster, owner, role, capo, network_id, group_id):
        """Make the owner's machines match its replicas and version; returns its machines, oldest first."""
        namespace, cluster_name = cluster["metadata"]["namespace"], cluster["metadata"]["name"]
        owner_name = owner["metadata"]["name"]
        spec = owner["spec"]
        if role == "control-plane":
            selector_label, version = CONTROL_PLANE_NAME, spec["version"]
            labels = {CLUSTER_NAME: cluster_name, "cluster.x-k8s.io/control-plane": "", CONTROL_PLANE_NAME: owner_name}
            infra_ref = spec["machineTemplate"]["infrastructureRef"]
        else:
            selector_label, version = DEPLOYMENT_NAME, spec["template"]["spec"]["version"]
            labels = {**(spec["template"].get("metadata") or {}).get("labels", {}), CLUSTER_NAME: cluster_name,
                      DEPLOYMENT_NAME: owner_name}
            infra_ref = spec["template"]["spec"]["infrastructureRef"]
        replicas = spec.get("replicas")
        if replicas is None:
            replicas = int((owner["metadata"].get("annotations") or {}).get(
                "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size", 1))
        machines = [m for m in self._machines(namespace, cluster_name)
                    if m["metadata"]["labels"].get(selector_label) == owner_name]
        machines.sort(key=lambda m: int(m["metadata"]["resourceVersion"]))
        live = [m for m in machines if not m["metadata"].get("deletionTimestamp")]
        outdated = [m for m in live if m["spec"].get("version") != version
                    or m["spec"]["infrastructureRef"]["name"] != infra_ref["name"]]
        current = [m for m in live if m not in outdated]
        # A rollout: new machines first (maxSurge), then the outdated ones go; a scale-down removes the newest.
        for _ in range(replicas - len(current)):
            current.append(self._create_machine(namespace, cluster_name, owner_name, role, version, labels,
                                                infra_ref))
        for machine in outdated + current[replicas:] if len(current) >= replicas else []:
            self.client.delete(CAPI, "machines", namespace, machine["metadata"]["name"])
        for machine in self._machines(namespace, cluster_name):
            if machine["metadata"]["labels"].get(selector_label) != owner_name:
                continue
            self._reconcile_machine(machine, capo, network_id, group_id)
        return [m for m in self._machines(namespace, cluster_name)
                if m["metadata"]["labels"].get(selector_label) == owner_name
                and not m["metadata"].get("deletionTimestamp")]

    def _create_machine(self, namespace, cluster_name, owner_name, role, version, labels, infra_ref):
        name = f"{owner_name}-{_suffix()}" if role == "control-plane" else f"{owner_name}-{_suffix()}-{_suffix()}"
        machine = {
            "apiVersion": CAPI, "kind": "Machine",
            "metadata": {"name": name, "namespace": namespace, "labels": labels, "finalizers": [MACHINE_FINALIZER]},
            "spec": {"clusterName": cluster_name, "version": version,
                     "bootstrap": {"dataSecretName": name},
                     "infrastructureRef": {"apiVersion": INFRA, "kind": "OpenStackMachine",
                                           "name": infra_ref["name"], "namespace": namespace}},
        }
        return self.client.create(CAPI, "machines", namespace, machine)

    def _reconcile_machine(self, machine, capo, network_id, group_id):
        name = machine["metadata"]["name"]
        if machine["metadata"].get("deletionTimestamp"):
            capo.delete_port(name, network_id)
            self._finalize(CAPI, "machines", machine, MACHINE_FINALIZER, False)
            return
        if (machine.get("status") or {}).get("phase") == "Running":
            return
        address = capo.ensure_port(name, network_id, group_id)
        self._patch(CAPI, "machines", machine, {"spec": {"providerID": f"openstack:///{name}"}})
        self._patch(CAPI, "machines", machine, {"status": {
            "phase": "Running", "bootstrapReady": True, "infrastructureReady": True,
            "addresses": [{"type": "InternalIP", "address": address}, {"type": "Hostname", "address": name}],
            "nodeRef": {"apiVersion": "v1", "kind": "Node", "name": name},
            "conditions": _true("Ready", "BootstrapReady", "InfrastructureReady", "NodeHealthy"),
        }}, status=True)

    def _remove_orphans(self, cluster, deployments, capo, network_id):
        """Machines of a MachineDeployment that is gone are deleted (their MachineSet's cascade)."""
        namespace, cluster_name = cluster["metadata"]["namespace"], cluster["metadata"]["name"]
        names = {deployment["metadata"]["name"] for deployment in deployments}
        for machine in self._machines(namespace, cluster_name):
            deployment = machine["metadata"]["labels"].get(DEPLOYMENT_NAME)
            if deployment and deployment not in names:
                if not machine["metadata"].get("deletionTimestamp"):
                    self.client.delete(CAPI, "machines", namespace, machine["metadata"]["name"])
                    machine = self.client.get(CAPI, "machines", namespace, machine["metadata"]["name"])
                if machine:
                    self._reconcile_machine(machine, capo, network_id, None)

    # ---- the workload cluster -----------------------------------------------------------------------------------
    def _workload(self, cluster, kcp, cp_machines, workers, clouds_yaml):
        """Run the workload cluster's API with the cluster's CA and nodes; True once it serves."""
        namespace, name = cluster["metadata"]["namespace"], cluster["metadata"]["name"]
        ca_cert, ca_key = self._secret(namespace, f"{name}-ca", "tls.crt"), self._secret(namespace, f"{name}-ca",
                                                                                            "tls.key")
        if not ca_cert or not ca_key:
            return False
        endpoint = cluster["spec"]["controlPlaneEndpoint"]
        state_dir = self._state_dir(namespace, name)
        wanted = {
            "port": endpoint["port"], "version": kcp["spec"]["version"],
            "masters": [[m["metadata"]["name"], m["status"]["addresses"][0]["address"]] for m in cp_machines
                        if (m.get("status") or {}).get("addresses")],
            "nodes": [[m["metadata"]["name"], m["status"]["addresses"][0]["address"]] for m in workers
                      if (m.get("status") or {}).get("addresses")],
            "ca": base64.b64encode(ca_cert).decode(),
        }
        record_file = state_dir / RECORD
        try:
            record = json.loads(record_file.read_text())
        except (OSError, ValueError):
            record = {}
        if record != wanted or kubeemu.emulator_pid(str(state_dir)) is None:
            state_dir.mkdir(parents=True, exist_ok=True)
            server_cert, server_key = certs.make_server_certificate(ca_cert, ca_key, hosts=(endpoint["host"],))
            clouds_file = state_dir / "clouds.yaml"
            descriptor = os.open(clouds_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(clouds_yaml)
            # The CSI emulation provisions with the cluster's application credential, as cinder-csi-plugin does.
            previous = os.environ.get("OS_CLIENT_CONFIG_FILE")
            os.environ["OS_CLIENT_CONFIG_FILE"] = str(clouds_file)
            try:
                kubeemu.start_emulator(str(state_dir), endpoint["port"], ca_cert, server_cert, server_key,
                                       version=wanted["version"], masters=[tuple(m) for m in wanted["masters"]],
                                       nodes=[tuple(n) for n in wanted["nodes"]], python=self.python,
                                       openstack_cloud="openstack", cluster_id=name)
            finally:
                if previous is None:
                    os.environ.pop("OS_CLIENT_CONFIG_FILE", None)
                else:
                    os.environ["OS_CLIENT_CONFIG_FILE"] = previous
            record_file.write_text(json.dumps(wanted))
        self._kubeconfig_secret(cluster, ca_cert, ca_key)
        return True

    def _kubeconfig_secret(self, cluster, ca_cert, ca_key):
        """`<cluster>-kubeconfig` (key `value`), as Cluster API writes it for the cluster's admin."""
        namespace, name = cluster["metadata"]["namespace"], cluster["metadata"]["name"]
        secret_name = f"{name}-kubeconfig"
        if self.client.get("v1", "secrets", namespace, secret_name):
            return
        endpoint = cluster["spec"]["controlPlaneEndpoint"]
        cert, key = certs.make_client_certificate(ca_cert, ca_key, "kubernetes-admin", ("system:masters",))
        path = self._state_dir(namespace, name) / "admin.kubeconfig"
        text = write_kubeconfig(path, f"https://{endpoint['host']}:{endpoint['port']}", ca_cert, cert, key, name)
        self.client.create("v1", "secrets", namespace, {
            "metadata": {"name": secret_name, "namespace": namespace, "labels": {CLUSTER_NAME: name}},
            "type": "cluster.x-k8s.io/secret", "stringData": {"value": text}})

    def _workload_client(self, namespace, name):
        return KubeClient.from_kubeconfig(self._state_dir(namespace, name) / "admin.kubeconfig")

    # ---- status -------------------------------------------------------------------------------------------------
    def _kcp_status(self, kcp, machines, api_up):
        version = kcp["spec"]["version"]
        updated = [m for m in machines if m["spec"].get("version") == version]
        ready = [m for m in machines if api_up and (m.get("status") or {}).get("phase") == "Running"]
        all_ready = api_up and len(machines) == len(updated) == len(ready) == kcp["spec"]["replicas"]
        status = {
            "replicas": len(machines), "updatedReplicas": len(updated), "readyReplicas": len(ready),
            "unavailableReplicas": len(machines) - len(ready), "initialized": api_up, "ready": bool(ready),
            "observedGeneration": kcp["metadata"].get("generation"),
            "selector": f"{CLUSTER_NAME}={kcp['spec']['kubeadmConfigSpec']['clusterConfiguration']['clusterName']},"
                        f"{CONTROL_PLANE_NAME}={kcp['metadata']['name']}",
            "conditions": _true("Available", "CertificatesAvailable", "MachinesCreated", "Resized")
            + (_true("Ready", "MachinesReady", "EtcdClusterHealthy", "ControlPlaneComponentsHealthy")
               if all_ready else []),
        }
        if len(updated) == len(machines) and machines:
            status["version"] = version
        self._set_status(KCP, "kubeadmcontrolplanes", kcp, status)

    def _md_status(self, deployment, namespace, api_up):
        machines = [m for m in self.client.list(CAPI, "machines", namespace,
                                                f"{DEPLOYMENT_NAME}={deployment['metadata']['name']}")
                    if not m["metadata"].get("deletionTimestamp")]
        version = deployment["spec"]["template"]["spec"]["version"]
        wanted = deployment["spec"].get("replicas", len(machines))
        ready = [m for m in machines if api_up and (m.get("status") or {}).get("phase") == "Running"]
        updated = [m for m in machines if m["spec"].get("version") == version]
        if len(machines) < wanted:
            phase = "ScalingUp"
        elif len(machines) > wanted:
            phase = "ScalingDown"
        else:
            phase = "Running" if len(ready) == len(updated) == wanted else "ScalingUp"
        self._set_status(CAPI, "machinedeployments", deployment, {
            "replicas": len(machines), "updatedReplicas": len(updated), "readyReplicas": len(ready),
            "availableReplicas": len(ready), "unavailableReplicas": len(machines) - len(ready), "phase": phase,
            "observedGeneration": deployment["metadata"].get("generation"),
            "conditions": _true("Available") + (_true("Ready") if phase == "Running" else []),
        })

    def _cluster_status(self, cluster, api_up):
        conditions = _true("InfrastructureReady")
        if api_up:
            conditions += _true("ControlPlaneInitialized", "ControlPlaneReady", "Ready")
        self._set_status(CAPI, "clusters", cluster, {
            "phase": "Provisioned" if api_up else "Provisioning", "infrastructureReady": True,
            "controlPlaneReady": api_up, "observedGeneration": cluster["metadata"].get("generation"),
            "conditions": conditions,
        })

    def _addons(self, cluster):
        """The addon provider: install each addon of the cluster in it, then report it Deployed."""
        namespace, name = cluster["metadata"]["namespace"], cluster["metadata"]["name"]
        selector = f"addons.stackhpc.com/cluster={name}"
        for plural in ("helmreleases", "manifests"):
            for addon in self.client.list(ADDONS, plural, namespace, selector):
                if (addon.get("status") or {}).get("phase") == "Deployed" and \
                        addon["status"].get("observedGeneration") == addon["metadata"].get("generation"):
                    continue
                if plural == "manifests":
                    self._apply_manifests(namespace, name, addon)
                self._patch(ADDONS, plural, addon, {"status": {
                    "phase": "Deployed", "revision": (addon.get("status") or {}).get("revision", 0) + 1,
                    "observedGeneration": addon["metadata"].get("generation")}}, status=True)

    def _apply_manifests(self, namespace, name, addon):
        client = self._workload_client(namespace, name)
        try:
            for source in addon["spec"].get("manifestSources") or []:
                for manifest in json.loads(source.get("template") or "[]"):
                    api_version, plural = manifest["apiVersion"], manifest["kind"].lower() + "es"
                    try:
                        client.create(api_version, plural, None, manifest)
                    except KubeError as error:
                        if error.status != 409:
                            raise
        finally:
            client.close()

    # ---- deletion -----------------------------------------------------------------------------------------------
    def _delete(self, cluster, infra):
        namespace, name = cluster["metadata"]["namespace"], cluster["metadata"]["name"]
        for api_version, plural in ((CAPI, "machinedeployments"), (KCP, "kubeadmcontrolplanes")):
            for obj in self.client.list(api_version, plural, namespace):
                owner = obj["spec"].get("clusterName") or \
                    obj["spec"].get("kubeadmConfigSpec", {}).get("clusterConfiguration", {}).get("clusterName")
                if owner == name:
                    self.client.delete(api_version, plural, namespace, obj["metadata"]["name"])
        machines = self._machines(namespace, name)
        if machines and infra is None:
            # Nothing left to find their ports by: the machines only lose their finalizer.
            for machine in machines:
                self.client.delete(CAPI, "machines", namespace, machine["metadata"]["name"])
                self._finalize(CAPI, "machines", machine, MACHINE_FINALIZER, False)
            return
        if machines:
            capo, _ = self._capo(namespace, infra)
            network_id = ((infra.get("status") or {}).get("network") or {}).get("id")
            for machine in machines:
                if not machine["metadata"].get("deletionTimestamp"):
                    self.client.delete(CAPI, "machines", namespace, machine["metadata"]["name"])
                    machine = self.client.get(CAPI, "machines", namespace, machine["metadata"]["name"])
                if machine:
                    self._reconcile_machine(machine, capo, network_id, None)
            return
        state_dir = self._state_dir(namespace, name)
        kubeemu.stop_emulator(str(state_dir))
        shutil.rmtree(state_dir, ignore_errors=True)
        self.client.delete("v1", "secrets", namespace, f"{name}-kubeconfig")
        if infra is not None:
            if not infra["metadata"].get("deletionTimestamp"):
                self.client.delete(INFRA, "openstackclusters", namespace, infra["metadata"]["name"])
            capo, _ = self._capo(namespace, infra)
            capo.delete_cluster(namespace, name, infra["spec"])
            infra = self.client.get(INFRA, "openstackclusters", namespace, infra["metadata"]["name"])
            if infra:
                self._finalize(INFRA, "openstackclusters", infra, INFRA_FINALIZER, False)
            return
        self._finalize(CAPI, "clusters", cluster, CLUSTER_FINALIZER, False)
