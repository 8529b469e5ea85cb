"""The controllers of an emulated cluster: volume binder and provisioner, resizer, scheduler, finalizers."""

import copy
import logging
import math
import random
import threading
import time
import uuid

from . import discovery, kinds
from .objects import now_rfc3339, parse_quantity

LOG = logging.getLogger(__name__)
SELECTED_NODE = "volume.kubernetes.io/selected-node"
MIGRATED_TO = "pv.kubernetes.io/migrated-to"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
GIB = 1024 ** 3
# The in-tree Cinder plugin hands its claims to the CSI driver from this version (CSIMigrationOpenStack GA)
# and is gone from this one.
CINDER_MIGRATED, CINDER_IN_TREE_REMOVED = (1, 24), (1, 26)
# The CSI controller plugin's external-provisioner sidecar, as it names itself in events.
CSI_PROVISIONER = f"{kinds.CINDER_CSI}_csi-cinder-controllerplugin-0_{uuid.uuid5(uuid.NAMESPACE_DNS, 'csi')}"
IN_TREE_CONTROLLER = "persistentvolume-controller"
# external-provisioner retries a failed claim with an exponential backoff; capped here to keep tests short.
RETRY_CAP_SECONDS = 30


class Controllers:
    """Reconciles the objects of an ApiServer (its lock, objects and store primitives) the way a cluster would."""

    def start_controllers(self):
        self._controller = threading.Thread(target=self._control_loop, name="controllers", daemon=True)
        self._controller.start()

    def stop(self):
        self._stopping.set()
        with self.lock:
            self.lock.notify_all()

    def _control_loop(self):
        while not self._stopping.is_set():
            try:
                with self.lock:
                    if self._reconcile():
                        self._save()
            except Exception:  # noqa: BLE001 - a controller bug must not stop the API server
                LOG.exception("controller pass failed")
            self._stopping.wait(0.1)

    def _items(self, plural, group=""):
        return [(key, obj) for key, obj in list(self.objects.items()) if key[:2] == (group, plural)]

    def _reconcile(self):
        changed = False
        for key, namespace in self._items("namespaces"):
            if namespace["metadata"].get("deletionTimestamp"):
                changed |= self._finish_namespace(key, namespace)
        for key, claim in self._items("persistentvolumeclaims"):
            if claim["metadata"].get("deletionTimestamp"):
                changed |= self._release_claim(key, claim)
            elif claim["status"].get("phase") == "Pending":
                changed |= self._bind_claim(key, claim)
            elif claim["status"].get("phase") == "Bound":
                changed |= self._resize_claim(key, claim)
        for key, volume in self._items("persistentvolumes"):
            changed |= self._check_volume(key, volume)
        self._sweep_orphaned_volumes()
        for key, pod in self._items("pods"):
            if pod["metadata"].get("deletionTimestamp"):
                self._remove(key)
                changed = True
            elif pod["status"].get("phase") == "Pending":
                changed |= self._schedule_pod(key, pod)
        return changed

    def _schedule_pod(self, key, pod):
        """Place a pod once its claims are bound, selecting a node for claims that wait for their consumer."""
        nodes = sorted((obj for _, obj in self._items("nodes")),
                       key=lambda node: (bool(node.get("spec", {}).get("taints")), node["metadata"]["name"]))
        if not nodes:
            return self._event(pod, "Warning", "FailedScheduling", "no nodes available to schedule pods",
                               "default-scheduler")
        node = pod["spec"].get("nodeName") or nodes[0]["metadata"]["name"]
        changed = False
        ready = True
        for claim_name in _claim_names(pod):
            claim_key = ("", "persistentvolumeclaims", key[2], claim_name)
            claim = self.objects.get(claim_key)
            if claim is None:
                return self._event(pod, "Warning", "FailedScheduling",
                                   f'persistentvolumeclaim "{claim_name}" not found', "default-scheduler")
            if claim["status"].get("phase") == "Bound":
                continue
            ready = False
            annotations = claim["metadata"].get("annotations") or {}
            storage_class = self._storage_class(kinds.class_name_of(claim))
            if storage_class and storage_class.get("volumeBindingMode") == "WaitForFirstConsumer" \
                    and SELECTED_NODE not in annotations:
                claim = copy.deepcopy(claim)
                claim["metadata"].setdefault("annotations", {})[SELECTED_NODE] = node
                self._store(claim_key, claim, "MODIFIED")
                self.pending_since[claim["metadata"]["uid"]] = time.monotonic()
                changed = True
        if not ready:
            return changed
        pod = copy.deepcopy(pod)
        now = now_rfc3339()
        pod["spec"]["nodeName"] = node
        node_address = next((address["address"] for address in self.objects[("", "nodes", "", node)]
                             .get("status", {}).get("addresses", []) if address["type"] == "InternalIP"), "")
        pod["status"] = {
            "phase": "Running", "qosClass": "BestEffort", "startTime": now, "hostIP": node_address,
            "podIP": f"10.100.{random.randint(0, 255)}.{random.randint(2, 254)}",
            "conditions": [{"type": kind, "status": "True", "lastTransitionTime": now}
                           for kind in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
            "containerStatuses": [
                {"name": container.get("name", ""), "image": container.get("image", ""), "ready": True,
                 "imageID": f"{container.get('image', '')}@sha256:{uuid.uuid4().hex}{uuid.uuid4().hex}",
                 "containerID": f"containerd://{uuid.uuid4().hex}{uuid.uuid4().hex}",
                 "restartCount": 0, "started": True, "state": {"running": {"startedAt": now}}}
                for container in pod["spec"].get("containers", [])
            ],
        }
        self._store(key, pod, "MODIFIED")
        return True

    def _finish_namespace(self, key, namespace):
        name = key[3]
        contents = [(k, obj) for k, obj in list(self.objects.items()) if k[2] == name]
        for content_key, obj in contents:
            if not obj["metadata"].get("deletionTimestamp"):
                obj = copy.deepcopy(obj)
                obj["metadata"]["deletionTimestamp"] = now_rfc3339()
                obj["metadata"]["deletionGracePeriodSeconds"] = 0
                self._store(content_key, obj, "MODIFIED")
        if any(k[2] == name for k in self.objects):
            return bool(contents)
        self._remove(key)
        return True

    def _claim_key(self, claim):
        return ("", "persistentvolumeclaims", claim["metadata"]["namespace"], claim["metadata"]["name"])

    def _claim_users(self, claim):
        namespace, name = claim["metadata"]["namespace"], claim["metadata"]["name"]
        return [pod for key, pod in self._items("pods") if key[2] == namespace and name in _claim_names(pod)
                and pod.get("status", {}).get("phase") not in ("Succeeded", "Failed")]

    def _release_claim(self, key, claim):
        if self._claim_users(claim):
            return False
        self._remove(key)
        volume_name = claim["spec"].get("volumeName")
        volume_key = ("", "persistentvolumes", "", volume_name)
        volume = self.objects.get(volume_key)
        if volume and (volume["spec"].get("claimRef") or {}).get("uid") == claim["metadata"]["uid"]:
            volume = copy.deepcopy(volume)
            if self._cinder_volume_id(volume) and volume["spec"].get("persistentVolumeReclaimPolicy") == "Delete":
                # The provisioner deletes the Cinder volume first, then the object (see _reclaim_cinder_volume).
                volume["status"]["phase"] = "Released"
            elif volume["spec"].get("persistentVolumeReclaimPolicy") == "Delete":
                volume["metadata"].setdefault("deletionTimestamp", now_rfc3339())
                volume["metadata"]["finalizers"] = [
                    f for f in volume["metadata"].get("finalizers", []) if f != kinds.PV_PROTECTION]
                volume["status"]["phase"] = "Released"
            else:
                volume["status"]["phase"] = "Released"
            self._store(volume_key, volume, "MODIFIED")
        return True

    def _check_volume(self, key, volume):
        if not volume["metadata"].get("deletionTimestamp"):
            return self._reclaim_cinder_volume(key, volume)
        claim_ref = volume["spec"].get("claimRef") or {}
        claim = self.objects.get(("", "persistentvolumeclaims", claim_ref.get("namespace", ""),
                                  claim_ref.get("name", "")))
        if claim and claim["metadata"]["uid"] == claim_ref.get("uid"):
            return False
        volume = copy.deepcopy(volume)
        volume["metadata"]["finalizers"] = [
            f for f in volume["metadata"].get("finalizers", []) if f != kinds.PV_PROTECTION]
        self._store(key, volume, "MODIFIED")
        return True

    def _event(self, obj, event_type, reason, message, component="persistentvolume-controller"):
        """Record an Event about obj once per reason and message; True when it was new."""
        metadata = obj["metadata"]
        marker = (metadata["uid"], reason, message)
        if marker in self.reported:
            return False
        self.reported.add(marker)
        now = now_rfc3339()
        # Events about cluster-scoped objects (persistent volumes) live in the default namespace.
        self._create_internal(discovery.BY_PLURAL[("", "events")], {
            "metadata": {"name": f"{metadata['name']}.{uuid.uuid4().hex[:16]}",
                         "namespace": metadata.get("namespace", "default")},
            "involvedObject": {
                "kind": obj["kind"], "namespace": metadata.get("namespace", ""), "name": metadata["name"],
                "uid": metadata["uid"], "apiVersion": "v1", "resourceVersion": metadata["resourceVersion"],
            },
            "reason": reason, "message": message, "type": event_type, "count": 1, "source": {"component": component},
            "firstTimestamp": now, "lastTimestamp": now, "reportingComponent": component,
        })
        return True

    def _provisioner_works(self, provisioner):
        if provisioner == kinds.CINDER_CSI:
            # The CSI controller plugin runs only with a cloud to talk to.
            return self.cinder_csi and self.kube_version >= (1, 13) and self.cinder is not None
        if provisioner == kinds.CINDER_IN_TREE:
            if self._in_tree_migrated():
                return self._provisioner_works(kinds.CINDER_CSI)
            return self.kube_version < CINDER_IN_TREE_REMOVED
        return False

    def _in_tree_migrated(self):
        return CINDER_MIGRATED <= self.kube_version < CINDER_IN_TREE_REMOVED

    def _bind_claim(self, key, claim):
        uid = claim["metadata"]["uid"]
        since = self.pending_since.setdefault(uid, time.monotonic())
        if time.monotonic() - since < self.provision_delay:
            return False
        spec = claim["spec"]
        class_name = kinds.class_name_of(claim)
        request = parse_quantity(spec["resources"]["requests"]["storage"])
        volume_key = self._matching_volume(claim, class_name, request)
        if volume_key:
            self._bind(key, claim, volume_key, self.objects[volume_key], provisioner=None)
            return True
        if not class_name:
            return self._event(claim, "Normal", "FailedBinding",
                               "no persistent volumes available for this claim and no storage class is set")
        storage_class = self._storage_class(class_name)
        if storage_class is None:
            return self._event(claim, "Warning", "ProvisioningFailed",
                               f'storageclass.storage.k8s.io "{class_name}" not found')
        provisioner = storage_class.get("provisioner")
        selected_node = (claim["metadata"].get("annotations") or {}).get(SELECTED_NODE)
        if storage_class.get("volumeBindingMode") == "WaitForFirstConsumer" and not selected_node:
            return self._event(claim, "Normal", "WaitForFirstConsumer",
                               "waiting for first consumer to be created before binding")
        if provisioner == kinds.CINDER_IN_TREE and not self._provisioner_works(provisioner):
            return self._event(claim, "Warning", "ProvisioningFailed",
                               f'failed to provision volume with StorageClass "{class_name}": no volume plugin '
                               f"matched name: {provisioner}")
        if provisioner == kinds.CINDER_IN_TREE and self._in_tree_migrated():
            # CSI migration: the claim waits for the CSI driver, which provisions it.
            provisioner = kinds.CINDER_CSI
        if not self._provisioner_works(provisioner):
            return self._event(claim, "Normal", "ExternalProvisioning",
                               f'Waiting for a volume to be created either by the external provisioner '
                               f'"{provisioner}" or manually by the system administrator. If volume creation is '
                               "delayed, please verify that the provisioner is running and correctly registered.")
        if self.cinder is None:
            # Only the in-tree plugin gets here: kube-controller-manager without the OpenStack cloud provider.
            return self._event(claim, "Warning", "ProvisioningFailed",
                               f'Failed to provision volume with StorageClass "{class_name}": '
                               "Cloud provider not initialized properly")
        return self._provision_in_cinder(key, claim, storage_class, provisioner)

    # ---- Cinder: the CSI controller plugin, or the in-tree plugin, creating and deleting real volumes --------
    def _cinder_call(self, uid, submit):
        """Drive one Cinder call per object UID, run in a worker: ("started" | "done" | "failed" | None, value).

        `submit()` starts the call unless one runs for uid or a failed one waits for its retry (an exponential
        backoff, as external-provisioner and external-resizer retry); "done" carries its result, "failed" the error.
        """
        operation = self.cinder_operations.get(uid)
        if operation is None:
            if time.monotonic() < self.cinder_retry_at.get(uid, 0):
                return None, None
            self.cinder_operations[uid] = submit()
            return "started", None
        if not operation.done():
            return None, None
        del self.cinder_operations[uid]
        try:
            result = operation.result()
        except Exception as error:  # noqa: BLE001 - every failure is reported on the object and retried
            attempts = self.cinder_attempts[uid] = self.cinder_attempts.get(uid, 0) + 1
            self.cinder_retry_at[uid] = time.monotonic() + min(2 ** attempts, RETRY_CAP_SECONDS)
            return "failed", error
        self.cinder_attempts.pop(uid, None)
        self.cinder_retry_at.pop(uid, None)
        return "done", result

    def _provision_in_cinder(self, key, claim, storage_class, provisioner):
        """Create the claim's Cinder volume (in a worker) and bind the claim once the volume is available.

        `provisioner` is who provisions: the CSI driver (for CSI classes and migrated in-tree ones) or the
        in-tree plugin of kube-controller-manager before migration.
        """
        uid, metadata = claim["metadata"]["uid"], claim["metadata"]
        class_name = storage_class["metadata"]["name"]
        csi = provisioner == kinds.CINDER_CSI
        component = CSI_PROVISIONER if csi else IN_TREE_CONTROLLER
        size_gib = max(1, math.ceil(parse_quantity(claim["spec"]["resources"]["requests"]["storage"]) / GIB))
        parameters = storage_class.get("parameters") or {}
        state, value = self._cinder_call(uid, lambda: self.cinder.create(
            f"pvc-{uid}", size_gib, parameters.get("type"), parameters.get("availability")))
        if state == "started" and csi:
            return self._event(claim, "Normal", "Provisioning", "External provisioner is provisioning volume "
                               f'for claim "{metadata["namespace"]}/{metadata["name"]}"', component)
        if state == "failed":
            if csi:
                message = (f'failed to provision volume with StorageClass "{class_name}": rpc error: '
                           f"code = Internal desc = CreateVolume failed with error {value}")
            else:
                message = f'Failed to provision volume with StorageClass "{class_name}": {value}'
            return self._event(claim, "Warning", "ProvisioningFailed", message, component)
        if state != "done":
            return False
        volume_key, volume = self._provision(claim, storage_class, f"{size_gib}Gi", value)
        self._bind(key, claim, volume_key, volume, provisioner)
        if csi:
            self._event(claim, "Normal", "ProvisioningSucceeded",
                        f"Successfully provisioned volume {volume['metadata']['name']}", component)
        else:
            self._event(claim, "Normal", "ProvisioningSucceeded",
                        f"Successfully provisioned volume {volume['metadata']['name']} using "
                        f"{kinds.CINDER_IN_TREE}", component)
        return True

    def _extend_in_cinder(self, claim, volume, requested):
        """Whether the claim's Cinder volume has grown to the requested size (the extend runs in a worker)."""
        volume_id = self._cinder_volume_id(volume)
        size_gib = max(1, math.ceil(parse_quantity(requested) / GIB))
        state, error = self._cinder_call(volume["metadata"]["uid"], lambda: self.cinder.extend(volume_id, size_gib))
        if state == "failed":
            self._event(claim, "Warning", "VolumeResizeFailed",
                        f"resize volume \"{volume['metadata']['name']}\" by resizer \"{kinds.CINDER_CSI}\" failed: "
                        f"rpc error: code = Internal desc = Could not resize volume \"{volume_id}\": {error}",
                        "external-resizer " + kinds.CINDER_CSI)
        return state == "done"

    @staticmethod
    def _cinder_volume_id(volume):
        """The Cinder volume behind a persistent volume this cluster provisioned, else None."""
        spec = volume["spec"]
        if (volume["metadata"].get("annotations") or {}).get(PROVISIONED_BY) not in (kinds.CINDER_CSI,
                                                                                     kinds.CINDER_IN_TREE):
            return None
        if (spec.get("csi") or {}).get("driver") == kinds.CINDER_CSI:
            return spec["csi"].get("volumeHandle")
        return (spec.get("cinder") or {}).get("volumeID")

    def _reclaim_cinder_volume(self, key, volume):
        """Delete the Cinder volume of a released volume whose policy is Delete, then the object itself."""
        if self.cinder is None or volume["status"].get("phase") != "Released" \
                or volume["spec"].get("persistentVolumeReclaimPolicy") != "Delete":
            return False
        volume_id = self._cinder_volume_id(volume)
        if not volume_id:
            return False
        state, error = self._cinder_call(volume["metadata"]["uid"], lambda: self.cinder.delete(volume_id))
        if state == "failed":
            return self._event(volume, "Warning", "VolumeFailedDelete",
                               f"rpc error: code = Internal desc = DeleteVolume failed with error {error}",
                               CSI_PROVISIONER)
        if state != "done":
            return False
        volume = copy.deepcopy(volume)
        volume["metadata"]["deletionTimestamp"] = now_rfc3339()
        volume["metadata"]["finalizers"] = [
            f for f in volume["metadata"].get("finalizers", []) if f != kinds.PV_PROTECTION]
        self._store(key, volume, "MODIFIED")
        return True

    def _sweep_orphaned_volumes(self):
        """A volume whose claim was deleted while Cinder created it is deleted, not left behind."""
        if not self.cinder_operations:
            return
        live = {obj["metadata"]["uid"] for plural in ("persistentvolumeclaims", "persistentvolumes")
                for _, obj in self._items(plural)}
        for uid, operation in list(self.cinder_operations.items()):
            if uid in live or not operation.done():
                continue
            del self.cinder_operations[uid]
            if operation.exception() is None and isinstance(operation.result(), str):
                self.cinder.delete(operation.result())

    def _matching_volume(self, claim, class_name, request):
        wanted_modes = set(claim["spec"].get("accessModes") or [])
        candidates = []
        for key, volume in self._items("persistentvolumes"):
            spec = volume["spec"]
            claim_ref = spec.get("claimRef")
            if volume["status"].get("phase") != "Available" or volume["metadata"].get("deletionTimestamp"):
                continue
            if claim_ref and (claim_ref.get("namespace"), claim_ref.get("name")) != (
                    claim["metadata"]["namespace"], claim["metadata"]["name"]):
                continue
            if kinds.class_name_of(volume) != class_name:
                continue
            if not wanted_modes <= set(spec.get("accessModes") or []):
                continue
            capacity = parse_quantity(spec["capacity"]["storage"])
            if capacity >= request:
                candidates.append((capacity, key))
        return min(candidates)[1] if candidates else None

    def _provision(self, claim, storage_class, size, volume_id):
        provisioner = storage_class["provisioner"]
        fs_type = (storage_class.get("parameters") or {}).get("fsType", "ext4")
        annotations = {PROVISIONED_BY: provisioner}
        if provisioner == kinds.CINDER_IN_TREE and self._in_tree_migrated():
            # A migrated in-tree volume keeps its in-tree source; the annotation names the driver behind it.
            annotations[MIGRATED_TO] = kinds.CINDER_CSI
        if provisioner == kinds.CINDER_CSI:
            source = {"csi": {"driver": provisioner, "volumeHandle": volume_id, "fsType": fs_type,
                              "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity":
                                                   "1700000000000-8081-cinder.csi.openstack.org"}}}
        else:
            source = {"cinder": {"volumeID": volume_id, "fsType": fs_type}}
        volume = {
            "metadata": {"name": f"pvc-{claim['metadata']['uid']}", "annotations": annotations},
            "spec": {
                "capacity": {"storage": size},
                "accessModes": list(claim["spec"]["accessModes"]),
                "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy", "Delete"),
                "mountOptions": storage_class.get("mountOptions"),
                **source,
            },
        }
        kinds.set_class_name(volume, storage_class["metadata"]["name"], self.kube_version)
        if volume["spec"]["mountOptions"] is None:
            del volume["spec"]["mountOptions"]
        resource = discovery.BY_PLURAL[("", "persistentvolumes")]
        volume = self._create_internal(resource, volume)
        return self._key(resource, "", volume["metadata"]["name"]), volume

    def _bind(self, claim_key, claim, volume_key, volume, provisioner):
        volume = copy.deepcopy(volume)
        volume["spec"]["claimRef"] = {
            "kind": "PersistentVolumeClaim", "namespace": claim["metadata"]["namespace"],
            "name": claim["metadata"]["name"], "uid": claim["metadata"]["uid"], "apiVersion": "v1",
            "resourceVersion": claim["metadata"]["resourceVersion"],
        }
        volume["status"] = {"phase": "Bound"}
        volume["metadata"].setdefault("annotations", {})["pv.kubernetes.io/bound-by-controller"] = "yes"
        self._store(volume_key, volume, "MODIFIED")
        claim = copy.deepcopy(claim)
        annotations = claim["metadata"].setdefault("annotations", {})
        annotations["pv.kubernetes.io/bind-completed"] = "yes"
        annotations["pv.kubernetes.io/bound-by-controller"] = "yes"
        if provisioner:
            annotations["volume.beta.kubernetes.io/storage-provisioner"] = provisioner
            if self.kube_version >= (1, 23):
                annotations["volume.kubernetes.io/storage-provisioner"] = provisioner
            if MIGRATED_TO in (volume["metadata"].get("annotations") or {}):
                annotations[MIGRATED_TO] = volume["metadata"]["annotations"][MIGRATED_TO]
        claim["spec"]["volumeName"] = volume["metadata"]["name"]
        claim["status"] = {
            "phase": "Bound",
            "accessModes": list(volume["spec"]["accessModes"]),
            "capacity": {"storage": volume["spec"]["capacity"]["storage"]},
        }
        self._store(claim_key, claim, "MODIFIED")
        self.pending_since.pop(claim["metadata"]["uid"], None)

    def _resize_claim(self, key, claim):
        requested = claim["spec"]["resources"]["requests"]["storage"]
        capacity = (claim["status"].get("capacity") or {}).get("storage", requested)
        if parse_quantity(requested) <= parse_quantity(capacity):
            return False
        volume_key = ("", "persistentvolumes", "", claim["spec"].get("volumeName"))
        volume = self.objects.get(volume_key)
        if volume and self.cinder is not None and self._cinder_volume_id(volume) \
                and not self._extend_in_cinder(claim, volume, requested):
            return False
        if volume:
            volume = copy.deepcopy(volume)
            volume["spec"]["capacity"]["storage"] = requested
            self._store(volume_key, volume, "MODIFIED")
        claim = copy.deepcopy(claim)
        claim["status"]["capacity"] = {"storage": requested}
        claim["status"].pop("conditions", None)
        self._store(key, claim, "MODIFIED")
        return True


def _claim_names(pod):
    return [volume["persistentVolumeClaim"]["claimName"] for volume in pod.get("spec", {}).get("volumes") or []
            if (volume.get("persistentVolumeClaim") or {}).get("claimName")]
