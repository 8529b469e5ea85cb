"""Defaulting and validation of each emulated kind, on create and on update, as the API server does them."""

import copy
import json

from .objects import (
    Invalid,
    forbidden,
    forbidden_field,
    invalid_field,
    parse_quantity,
    required,
)

CINDER_CSI = "cinder.csi.openstack.org"
CINDER_IN_TREE = "kubernetes.io/cinder"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
BETA_DEFAULT_CLASS_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class"
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"
UNDELETABLE_NAMESPACES = ("default", "kube-system", "kube-public")


# Before 1.6 claims and volumes named their class in this annotation (spec.storageClassName came with 1.6), and
# the default class was marked by the beta annotation alone.
BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"
STORAGE_CLASS_NAME_SINCE = (1, 6)


def is_default_class(storage_class, kube_version=STORAGE_CLASS_NAME_SINCE):
    annotations = storage_class.get("metadata", {}).get("annotations") or {}
    keys = (DEFAULT_CLASS_ANNOTATION, BETA_DEFAULT_CLASS_ANNOTATION)
    if kube_version < STORAGE_CLASS_NAME_SINCE:
        keys = (BETA_DEFAULT_CLASS_ANNOTATION,)
    return any(annotations.get(key) == "true" for key in keys)


def class_name_of(obj):
    """The class a claim or volume names: spec.storageClassName, or the beta annotation of clusters before 1.6."""
    name = (obj.get("spec") or {}).get("storageClassName")
    if name is None:
        name = ((obj.get("metadata") or {}).get("annotations") or {}).get(BETA_CLASS_ANNOTATION)
    return name or ""


def set_class_name(obj, name, kube_version):
    """Name the class in the form the version knows."""
    if kube_version >= STORAGE_CLASS_NAME_SINCE:
        obj.setdefault("spec", {})["storageClassName"] = name
    else:
        obj.setdefault("metadata", {}).setdefault("annotations", {})[BETA_CLASS_ANNOTATION] = name


# ReadWriteOncePod: feature gate ReadWriteOncePod, beta and on by default from 1.27 (alpha, off, 1.22-1.26).
READ_WRITE_ONCE_POD_SINCE = (1, 27)


def _check_quantity(causes, field, value):
    """ValidatePositiveQuantityValue of a required quantity (k8s.io/kubernetes pkg/apis/core/validation)."""
    if value is None:
        causes.append(required(field))
        return
    try:
        size = parse_quantity(value)
    except ValueError as error:
        causes.append(invalid_field(field, value, str(error)))
        return
    if size <= 0:
        causes.append(invalid_field(field, str(value), "must be greater than zero"))


def _check_access_modes(causes, modes, kube_version):
    supported = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce"]
    if kube_version >= READ_WRITE_ONCE_POD_SINCE:
        supported.append("ReadWriteOncePod")
    if not modes:
        causes.append(required("spec.accessModes", "Required value: at least 1 access mode is required"))
        return
    for mode in modes:
        if mode not in supported:
            causes.append(("spec.accessModes", f"Unsupported value: {json.dumps(mode)}: supported values: "
                           + ", ".join(json.dumps(value) for value in supported), "FieldValueNotSupported"))


def default_object(resource, obj, kube_version, find_default_class):
    """Fill in what the API server defaults at creation and reject what it refuses (422)."""
    name = obj["metadata"]["name"]
    kind = resource.kind
    causes = []
    if kind == "Namespace":
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj["status"] = {"phase": "Active"}
        if kube_version >= (1, 21):
            obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    elif kind == "StorageClass":
        if not obj.get("provisioner"):
            causes.append(required("provisioner"))
        obj.setdefault("reclaimPolicy", "Delete")
        if obj["reclaimPolicy"] not in ("Delete", "Retain"):
            causes.append(("reclaimPolicy", f'Unsupported value: "{obj["reclaimPolicy"]}": supported values: '
                           '"Delete", "Retain"', "FieldValueNotSupported"))
        obj.setdefault("volumeBindingMode", "Immediate")
        if obj["volumeBindingMode"] not in ("Immediate", "WaitForFirstConsumer"):
            causes.append(("volumeBindingMode", f'Unsupported value: "{obj["volumeBindingMode"]}": supported '
                           'values: "Immediate", "WaitForFirstConsumer"', "FieldValueNotSupported"))
    elif kind == "CSIDriver":
        spec = obj.setdefault("spec", {})
        spec.setdefault("attachRequired", True)
        spec.setdefault("podInfoOnMount", False)
        spec.setdefault("volumeLifecycleModes", ["Persistent"])
        if kube_version >= (1, 20):
            spec.setdefault("fsGroupPolicy", "ReadWriteOnceWithFSType")
            spec.setdefault("requiresRepublish", False)
            spec.setdefault("storageCapacity", False)
    elif kind == "PersistentVolumeClaim":
        spec = obj.setdefault("spec", {})
        _check_access_modes(causes, spec.get("accessModes"), kube_version)
        _check_quantity(causes, "spec.resources[storage]", ((spec.get("resources") or {}).get("requests") or {})
                        .get("storage"))
        if kube_version >= (1, 13):
            spec.setdefault("volumeMode", "Filesystem")
        if kube_version < STORAGE_CLASS_NAME_SINCE:
            # The field does not exist yet: the decoder drops it, as any unknown field.
            spec.pop("storageClassName", None)
        # The DefaultStorageClass admission plugin names the default class in a claim that names none.
        if "storageClassName" not in spec and BETA_CLASS_ANNOTATION not in (obj["metadata"].get("annotations") or {}):
            default_class = find_default_class()
            if default_class:
                set_class_name(obj, default_class, kube_version)
        obj["status"] = {"phase": "Pending"}
        if kube_version >= (1, 11):
            _add_finalizer(obj, PVC_PROTECTION)
    elif kind == "PersistentVolume":
        spec = obj.setdefault("spec", {})
        _check_quantity(causes, "spec.capacity", (spec.get("capacity") or {}).get("storage"))
        if not spec.get("accessModes"):
            causes.append(required("spec.accessModes"))
        spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
        if kube_version >= (1, 13):
            spec.setdefault("volumeMode", "Filesystem")
        obj.setdefault("status", {}).setdefault("phase", "Available" if not spec.get("claimRef") else "Bound")
        if kube_version >= (1, 11):
            _add_finalizer(obj, PV_PROTECTION)
    elif kind == "Node":
        obj.setdefault("spec", {})
        obj.setdefault("status", {})
    elif kind == "Pod":
        spec = obj.setdefault("spec", {})
        if not spec.get("containers"):
            causes.append(required("spec.containers"))
        for field, value in (("restartPolicy", "Always"), ("dnsPolicy", "ClusterFirst"),
                             ("schedulerName", "default-scheduler"), ("terminationGracePeriodSeconds", 30)):
            spec.setdefault(field, value)
        obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
    if causes:
        raise Invalid(resource, name, causes)
    return obj


def _add_finalizer(obj, finalizer):
    finalizers = obj["metadata"].setdefault("finalizers", [])
    if finalizer not in finalizers:
        finalizers.append(finalizer)


def validate_update(resource, old, new, storage_class_of):
    """Reject updates of immutable fields the way the API server does (422, or 403 from admission)."""
    name = old["metadata"]["name"]
    kind = resource.kind
    causes = []
    if kind == "StorageClass":
        if new.get("parameters") != old.get("parameters"):
            causes.append(forbidden_field("parameters", "updates to parameters are forbidden."))
        if new.get("provisioner") != old.get("provisioner"):
            causes.append(forbidden_field("provisioner", "updates to provisioner are forbidden."))
        new.setdefault("reclaimPolicy", old.get("reclaimPolicy"))
        if new.get("reclaimPolicy") != old.get("reclaimPolicy"):
            causes.append(forbidden_field("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
        new.setdefault("volumeBindingMode", old.get("volumeBindingMode"))
        if new.get("volumeBindingMode") != old.get("volumeBindingMode"):
            causes.append(invalid_field("volumeBindingMode", new.get("volumeBindingMode"), "field is immutable"))
    elif kind == "PersistentVolumeClaim":
        _validate_claim_update(resource, old, new, causes, storage_class_of)
    elif kind == "Pod":
        new_spec = new.setdefault("spec", {})
        for field in ("nodeName", "restartPolicy", "dnsPolicy", "schedulerName", "terminationGracePeriodSeconds"):
            if field in old.get("spec", {}):
                new_spec.setdefault(field, old["spec"][field])
        if _without_images(new_spec) != _without_images(old.get("spec", {})):
            causes.append(forbidden_field("spec", "pod updates may not change fields other than "
                                                  "`spec.containers[*].image`, `spec.initContainers[*].image`, "
                                                  "`spec.activeDeadlineSeconds`, `spec.tolerations` (only additions "
                                                  "to existing tolerations) or `spec.terminationGracePeriodSeconds`"))
    elif kind == "PersistentVolume":
        new_spec, old_spec = new.setdefault("spec", {}), old.get("spec", {})
        for field in ("volumeMode",):
            new_spec.setdefault(field, old_spec.get(field))
        if new_spec.get("volumeMode") != old_spec.get("volumeMode"):
            causes.append(invalid_field("spec.volumeMode", new_spec.get("volumeMode"), "field is immutable"))
    if causes:
        raise Invalid(resource, name, causes)


def _without_images(spec):
    spec = copy.deepcopy(spec)
    for container in spec.get("containers", []) + spec.get("initContainers", []):
        container.pop("image", None)
    return spec


def _validate_claim_update(resource, old, new, causes, storage_class_of):
    name = old["metadata"]["name"]
    old_spec = old.get("spec", {})
    new_spec = new.setdefault("spec", {})
    for field in ("volumeMode", "storageClassName", "volumeName"):
        if field in old_spec:
            new_spec.setdefault(field, old_spec[field])
    old_rest = copy.deepcopy(old_spec)
    new_rest = copy.deepcopy(new_spec)
    old_storage = old_rest.get("resources", {}).get("requests", {}).pop("storage", None)
    new_storage = (new_rest.get("resources") or {}).get("requests", {}).pop("storage", None)
    bound = old.get("status", {}).get("phase") == "Bound"
    spec_rule = ("spec is immutable after creation except resources.requests and volumeAttributesClassName "
                 "for bound claims")
    if old_rest != new_rest:
        causes.append(forbidden_field("spec", spec_rule))
        return
    try:
        old_size, new_size = parse_quantity(old_storage), parse_quantity(new_storage)
    except ValueError as error:
        causes.append(invalid_field("spec.resources.requests.storage", new_storage, str(error)))
        return
    if new_size == old_size:
        return
    if not bound:
        causes.append(forbidden_field("spec", spec_rule))
        return
    if new_size < old_size:
        causes.append(forbidden_field("spec.resources.requests.storage", "field can not be less than previous value"))
        return
    storage_class = storage_class_of(class_name_of(new))
    if not storage_class or not storage_class.get("allowVolumeExpansion"):
        raise forbidden(resource, name, "only dynamically provisioned pvc can be resized and the storageclass "
                                        "that provisions the pvc must support resize")
