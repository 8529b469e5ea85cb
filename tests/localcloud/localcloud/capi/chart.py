"""The openstack-cluster chart (azimuth-cloud/capi-helm-charts) rendered from its values, as `helm` would.

Only the objects magnum-capi-helm and the Cluster API controllers act on are rendered: the Cluster, its
OpenStackCluster, the control plane (KubeadmControlPlane and its OpenStackMachineTemplate), one MachineDeployment
(with its templates) per node group, and the addons (HelmRelease and Manifests of the addon provider).
Names and labels follow the chart's helpers: `<release>` for the cluster, `<release>-<component>` for the rest.
"""

import copy
import hashlib
import json

from . import CHART_NAME
from .resources import (
    ADDONS_GROUP,
    BOOTSTRAP_GROUP,
    CAPI_GROUP,
    CONTROL_PLANE_GROUP,
    INFRASTRUCTURE_GROUP,
)

V1BETA1 = "v1beta1"
# The chart's values.yaml defaults for what is rendered here.
DEFAULTS = {
    "kubeNetwork": {"pods": {"cidrBlocks": ["172.16.0.0/13"]}, "services": {"cidrBlocks": ["172.24.0.0/13"]},
                    "serviceDomain": "cluster.local"},
    "clusterNetworking": {"manageSecurityGroups": True, "allowAllInClusterTraffic": True,
                          "internalNetwork": {"nodeCidr": "192.168.3.0/24"}},
    "apiServer": {"enableLoadBalancer": True, "associateFloatingIP": True, "port": 6443},
    "controlPlane": {"machineCount": 3},
    "nodeGroupDefaults": {"machineCount": 3},
    "nodeGroups": [{"name": "md-0", "machineCount": 3}],
    "addons": {"cni": {"enabled": True, "type": "calico"}, "openstack": {"enabled": True},
               "metricsServer": {"enabled": True}, "kubernetesDashboard": {"enabled": False}},
}
REQUIRED = ("kubernetesVersion", "machineImageId", "cloudCredentialsSecretName")


class RenderError(Exception):
    """The chart's templates fail (helm prints `Error: ... execution error at (...)`)."""


def merged(defaults, values):
    if isinstance(defaults, dict) and isinstance(values, dict):
        result = dict(defaults)
        for key, value in values.items():
            result[key] = merged(defaults.get(key), value) if key in defaults else value
        return result
    return defaults if values is None else values


def _hash(*parts):
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:8]


def render(release, namespace, chart_version, values):
    """The manifest objects of the release, in the order helm installs them."""
    values = merged(copy.deepcopy(DEFAULTS), values)
    for name in REQUIRED:
        if not values.get(name):
            raise RenderError(f"execution error at ({CHART_NAME}/templates/_helpers.tpl): {name} is required")
    version = "v" + str(values["kubernetesVersion"]).lstrip("v")

    def labels(component=None, node_group=None):
        result = {
            "helm.sh/chart": f"{CHART_NAME}-{chart_version}",
            "app.kubernetes.io/managed-by": "Helm",
            "capi.stackhpc.com/managed-by": "Helm",
            "capi.stackhpc.com/cluster": release,
        }
        if component:
            result["capi.stackhpc.com/component"] = component
        if node_group:
            result["capi.stackhpc.com/node-group"] = node_group
        return result

    def obj(group, kind, name, spec, component=None, node_group=None, version_name=V1BETA1, annotations=None,
            extra_labels=None):
        metadata = {"name": name, "namespace": namespace,
                    "labels": {**labels(component, node_group), **(extra_labels or {})}}
        if annotations:
            metadata["annotations"] = annotations
        return {"apiVersion": f"{group}/{version_name}", "kind": kind, "metadata": metadata, "spec": spec}

    def machine_spec(settings):
        spec = {"flavor": settings.get("machineFlavor"), "image": {"id": values["machineImageId"]}}
        if values.get("machineSSHKeyName"):
            spec["sshKeyName"] = values["machineSSHKeyName"]
        root = settings.get("machineRootVolume") or {}
        if root.get("diskSize"):
            spec["rootVolume"] = {"sizeGiB": int(root["diskSize"])}
            if root.get("volumeType"):
                spec["rootVolume"]["type"] = root["volumeType"]
        if not spec["flavor"]:
            raise RenderError(f"execution error at ({CHART_NAME}/templates/_helpers.tpl): machineFlavor is required")
        return spec

    networking = values["clusterNetworking"]
    internal = networking.get("internalNetwork") or {}
    infra_spec = {
        "identityRef": {"name": values["cloudCredentialsSecretName"], "cloudName": "openstack"},
        "managedSecurityGroups": {"allowAllInClusterTraffic": bool(networking.get("allowAllInClusterTraffic"))}
        if networking.get("manageSecurityGroups") else None,
        "apiServerLoadBalancer": {"enabled": bool(values["apiServer"].get("enableLoadBalancer"))},
        "disableAPIServerFloatingIP": not values["apiServer"].get("associateFloatingIP"),
        "apiServerPort": values["apiServer"].get("port", 6443),
    }
    if networking.get("externalNetworkId"):
        infra_spec["externalNetwork"] = {"id": networking["externalNetworkId"]}
    if internal.get("networkFilter") or internal.get("subnetFilter"):
        if internal.get("networkFilter"):
            infra_spec["network"] = {"id": internal["networkFilter"]["id"]} \
                if "id" in internal["networkFilter"] else {"filter": internal["networkFilter"]}
        if internal.get("subnetFilter"):
            infra_spec["subnets"] = [{"id": internal["subnetFilter"]["id"]}
                                     if "id" in internal["subnetFilter"] else {"filter": internal["subnetFilter"]}]
    else:
        subnet = {"cidr": internal.get("nodeCidr") or DEFAULTS["clusterNetworking"]["internalNetwork"]["nodeCidr"]}
        if networking.get("dnsNameservers"):
            subnet["dnsNameservers"] = list(networking["dnsNameservers"])
        infra_spec["managedSubnets"] = [subnet]
    infra_spec = {key: value for key, value in infra_spec.items() if value is not None}

    control_plane = merged(values.get("controlPlane") or {}, {})
    cp_machine = machine_spec(control_plane)
    cp_template = f"{release}-control-plane-{_hash(cp_machine)}"
    objects = [
        obj(CAPI_GROUP, "Cluster", release, {
            "clusterNetwork": {"pods": values["kubeNetwork"]["pods"], "services": values["kubeNetwork"]["services"],
                               "serviceDomain": values["kubeNetwork"]["serviceDomain"]},
            "controlPlaneRef": {"apiVersion": f"{CONTROL_PLANE_GROUP}/{V1BETA1}", "kind": "KubeadmControlPlane",
                                "name": f"{release}-control-plane", "namespace": namespace},
            "infrastructureRef": {"apiVersion": f"{INFRASTRUCTURE_GROUP}/{V1BETA1}", "kind": "OpenStackCluster",
                                  "name": release, "namespace": namespace},
        }),
        # Cluster API deletes the OpenStackCluster after the machines; helm leaves it alone (resource-policy).
        obj(INFRASTRUCTURE_GROUP, "OpenStackCluster", release, infra_spec,
            annotations={"helm.sh/resource-policy": "keep"}),
        obj(INFRASTRUCTURE_GROUP, "OpenStackMachineTemplate", cp_template, {"template": {"spec": cp_machine}},
            component="control-plane"),
        obj(CONTROL_PLANE_GROUP, "KubeadmControlPlane", f"{release}-control-plane", {
            "replicas": int(control_plane.get("machineCount", 3)),
            "version": version,
            "machineTemplate": {"infrastructureRef": {
                "apiVersion": f"{INFRASTRUCTURE_GROUP}/{V1BETA1}", "kind": "OpenStackMachineTemplate",
                "name": cp_template, "namespace": namespace}},
            "kubeadmConfigSpec": {"clusterConfiguration": {"clusterName": release}},
        }, component="control-plane"),
    ]
    seen = set()
    for group in values.get("nodeGroups") or []:
        settings = merged(merged(copy.deepcopy(values["nodeGroupDefaults"]), {}), group)
        name = settings.get("name")
        if not name:
            raise RenderError(f"execution error at ({CHART_NAME}/templates/node-group/machine-deployment.yaml): "
                              "node group name is required")
        if name in seen:
            raise RenderError(f'MachineDeployment "{release}-{name}" is defined twice in the manifest')
        seen.add(name)
        machine = machine_spec(settings)
        template = f"{release}-{name}-{_hash(machine, version)}"
        md_spec = {
            "clusterName": release,
            "selector": {"matchLabels": {"capi.stackhpc.com/cluster": release,
                                         "capi.stackhpc.com/component": "worker",
                                         "capi.stackhpc.com/node-group": name}},
            "template": {
                "metadata": {"labels": labels("worker", name)},
                "spec": {
                    "clusterName": release, "version": version,
                    "bootstrap": {"configRef": {"apiVersion": f"{BOOTSTRAP_GROUP}/{V1BETA1}",
                                                "kind": "KubeadmConfigTemplate", "name": template,
                                                "namespace": namespace}},
                    "infrastructureRef": {"apiVersion": f"{INFRASTRUCTURE_GROUP}/{V1BETA1}",
                                          "kind": "OpenStackMachineTemplate", "name": template,
                                          "namespace": namespace},
                },
            },
        }
        annotations = None
        if str(settings.get("autoscale")).lower() == "true":
            annotations = {
                "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size": str(settings["machineCountMin"]),
                "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size": str(settings["machineCountMax"]),
            }
        else:
            md_spec["replicas"] = int(settings.get("machineCount", 3))
        objects += [
            obj(INFRASTRUCTURE_GROUP, "OpenStackMachineTemplate", template, {"template": {"spec": machine}},
                component="worker", node_group=name),
            obj(BOOTSTRAP_GROUP, "KubeadmConfigTemplate", template, {"template": {"spec": {}}},
                component="worker", node_group=name),
            obj(CAPI_GROUP, "MachineDeployment", f"{release}-{name}", md_spec, component="worker",
                node_group=name, annotations=annotations),
        ]
    objects += _addons(release, values, obj)
    return objects


def _addons(release, values, obj):
    addons = values.get("addons") or {}
    cluster_label = {"addons.stackhpc.com/cluster": release}

    def helm_release(name, chart):
        return obj(ADDONS_GROUP, "HelmRelease", f"{release}-{name}", {
            "clusterName": release, "bootstrap": True, "chart": chart, "releaseName": name,
        }, version_name="v1alpha1", extra_labels={**cluster_label, "addons.stackhpc.com/release-name": name})

    result = []
    if (addons.get("cni") or {}).get("enabled", True):
        cni = (addons.get("cni") or {}).get("type", "calico")
        result.append(helm_release(f"cni-{cni}", {"name": cni}))
    openstack = addons.get("openstack") or {}
    if openstack.get("enabled", True):
        result.append(helm_release("ccm-openstack", {"name": "openstack-cloud-controller-manager"}))
        result.append(helm_release("csi-cinder", {"name": "openstack-cinder-csi"}))
        classes = _storage_classes(openstack.get("csiCinder") or {})
        result.append(obj(ADDONS_GROUP, "Manifests", f"{release}-csi-cinder-storageclass", {
            "clusterName": release, "bootstrap": True, "releaseName": "csi-cinder-storageclass",
            "manifestSources": [{"template": json.dumps(classes)}],
        }, version_name="v1alpha1", extra_labels={**cluster_label,
                                                 "addons.stackhpc.com/release-name": "csi-cinder-storageclass"}))
    if (addons.get("metricsServer") or {}).get("enabled", True):
        result.append(helm_release("metrics-server", {"name": "metrics-server"}))
    if (addons.get("kubernetesDashboard") or {}).get("enabled"):
        result.append(helm_release("kubernetes-dashboard", {"name": "kubernetes-dashboard"}))
    return result


def _storage_classes(csi_cinder):
    """The StorageClasses of the chart's csi-cinder addon: the default class, then the additional ones."""
    classes = []
    entries = [(csi_cinder.get("defaultStorageClass") or {}, True)]
    entries += [(entry, False) for entry in csi_cinder.get("additionalStorageClasses") or []]
    for entry, is_default in entries:
        if not entry.get("enabled", True) or not entry.get("name"):
            continue
        parameters = {}
        if entry.get("availabilityZone"):
            parameters["availability"] = entry["availabilityZone"]
        if entry.get("volumeType"):
            parameters["type"] = entry["volumeType"]
        if entry.get("fstype"):
            parameters["csi.storage.k8s.io/fstype"] = entry["fstype"]
        storage_class = {
            "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": entry["name"],
                         "annotations": {"storageclass.kubernetes.io/is-default-class": "true"} if is_default else {}},
            "provisioner": "cinder.csi.openstack.org",
            "parameters": parameters,
            "reclaimPolicy": entry.get("reclaimPolicy") or "Delete",
            "allowVolumeExpansion": bool(entry.get("allowVolumeExpansion", True)),
            "volumeBindingMode": entry.get("volumeBindingMode") or "WaitForFirstConsumer",
        }
        if entry.get("allowedTopologies"):
            storage_class["allowedTopologies"] = [{"matchLabelExpressions": [
                {"key": "topology.cinder.csi.openstack.org/zone", "values": list(entry["allowedTopologies"])}]}]
        classes.append(storage_class)
    return classes
