"""The controllers of an emulated cluster: volume binder and provisioner, resizer, scheduler, finalizers."""

import copy
import logging
import random
import threading
import time
import uuid

from . import discovery, kinds
from .objects import now_rfc3339, parse_quantity

LOG = logging.getLogger(__name__)
SELECTED_NODE = "volume.kubernetes.io/selected-node"


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
            storage_class = self._storage_class(claim["spec"].get("storageClassName"))
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
            if volume["spec"].get("persistentVolumeReclaimPolicy") == "Delete":
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
            return False
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
        self._create_internal(discovery.BY_PLURAL[("", "events")], {
            "metadata": {"name": f"{metadata['name']}.{uuid.uuid4().hex[:16]}", "namespace": metadata["namespace"]},
            "involvedObject": {
                "kind": obj["kind"], "namespace": metadata["namespace"], "name": metadata["name"],
                "uid": metadata["uid"], "apiVersion": "v1", "resourceVersion": metadata["resourceVersion"],
            },
            "reason": reason, "message": message, "type": event_type, "count": 1, "source": {"component": component},
            "firstTimestamp": now, "lastTimestamp": now, "reportingComponent": component,
        })
        return True

    def _provisioner_works(self, provisioner):
        if provisioner == kinds.CINDER_CSI:
            return self.cinder_csi and self.kube_version >= (1, 13)
        if provisioner == kinds.CINDER_IN_TREE:
            return self.kube_version < (1, 26)
        return False

    def _bind_claim(self, key, claim):
        uid = claim["metadata"]["uid"]
        since = self.pending_since.setdefault(uid, time.monotonic())
        if time.monotonic() - since < self.provision_delay:
            return False
        spec = claim["spec"]
        class_name = spec.get("storageClassName") or ""
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
        if not self._provisioner_works(provisioner):
            return self._event(claim, "Normal", "ExternalProvisioning",
                               f'Waiting for a volume to be created either by the external provisioner '
                               f'"{provisioner}" or manually by the system administrator. If volume creation is '
                               "delayed, please verify that the provisioner is running and correctly registered.")
        volume_key, volume = self._provision(claim, storage_class, spec["resources"]["requests"]["storage"])
        self._bind(key, claim, volume_key, volume, provisioner)
        self._event(claim, "Normal", "ProvisioningSucceeded",
                    f"Successfully provisioned volume {volume['metadata']['name']}")
        return True

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
            if (spec.get("storageClassName") or "") != class_name:
                continue
            if not wanted_modes <= set(spec.get("accessModes") or []):
                continue
            capacity = parse_quantity(spec["capacity"]["storage"])
            if capacity >= request:
                candidates.append((capacity, key))
        return min(candidates)[1] if candidates else None

    def _provision(self, claim, storage_class, size):
        provisioner = storage_class["provisioner"]
        volume_id = str(uuid.uuid5(uuid.NAMESPACE_URL, claim["metadata"]["uid"]))
        fs_type = (storage_class.get("parameters") or {}).get("fsType", "ext4")
        if provisioner == kinds.CINDER_CSI:
            source = {"csi": {"driver": provisioner, "volumeHandle": volume_id, "fsType": fs_type,
                              "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity":
                                                   "1700000000000-8081-cinder.csi.openstack.org"}}}
        else:
            source = {"cinder": {"volumeID": volume_id, "fsType": fs_type}}
        volume = {
            "metadata": {"name": f"pvc-{claim['metadata']['uid']}",
                         "annotations": {"pv.kubernetes.io/provisioned-by": provisioner}},
            "spec": {
                "capacity": {"storage": size},
                "accessModes": list(claim["spec"]["accessModes"]),
                "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy", "Delete"),
                "storageClassName": storage_class["metadata"]["name"],
                "mountOptions": storage_class.get("mountOptions"),
                **source,
            },
        }
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
