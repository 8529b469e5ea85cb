"""The kinds a Cluster API management cluster serves (Secrets and the CRDs of CAPI, CAPO and the addon provider).

They are added to the emulator's discovery tables, so the one emulator process serves them with its own REST
semantics; what differs for custom resources (lists carry `metadata.continue`, `generation` is kept) is here.
"""

import base64
import copy

from localcloud.kubeemu import discovery
from localcloud.kubeemu.apiserver import ApiServer

CAPI_GROUP = "cluster.x-k8s.io"
CONTROL_PLANE_GROUP = "controlplane.cluster.x-k8s.io"
BOOTSTRAP_GROUP = "bootstrap.cluster.x-k8s.io"
INFRASTRUCTURE_GROUP = "infrastructure.cluster.x-k8s.io"
ADDONS_GROUP = "addons.stackhpc.com"


def _crd(group, plural, kind, version="v1beta1"):
    return discovery.Resource(group, plural, kind.lower(), kind, True, status_subresource=True,
                              served=((version, None, None),))


SECRETS = discovery.Resource("", "secrets", "secret", "Secret", True)
CUSTOM_RESOURCES = (
    _crd(CAPI_GROUP, "clusters", "Cluster"),
    _crd(CAPI_GROUP, "machinedeployments", "MachineDeployment"),
    _crd(CAPI_GROUP, "machines", "Machine"),
    _crd(CAPI_GROUP, "machinehealthchecks", "MachineHealthCheck"),
    _crd(CONTROL_PLANE_GROUP, "kubeadmcontrolplanes", "KubeadmControlPlane"),
    _crd(BOOTSTRAP_GROUP, "kubeadmconfigtemplates", "KubeadmConfigTemplate"),
    _crd(INFRASTRUCTURE_GROUP, "openstackclusters", "OpenStackCluster"),
    _crd(INFRASTRUCTURE_GROUP, "openstackmachinetemplates", "OpenStackMachineTemplate"),
    _crd(ADDONS_GROUP, "helmreleases", "HelmRelease", "v1alpha1"),
    _crd(ADDONS_GROUP, "manifests", "Manifests", "v1alpha1"),
)
CUSTOM_GROUPS = {resource.group for resource in CUSTOM_RESOURCES}


def register():
    """Serve Secrets and the Cluster API kinds from this process's emulator (idempotent)."""
    added = [resource for resource in (SECRETS, *CUSTOM_RESOURCES)
             if (resource.group, resource.plural) not in discovery.BY_PLURAL]
    discovery.RESOURCES = discovery.RESOURCES + tuple(added)
    for resource in added:
        discovery.BY_PLURAL[(resource.group, resource.plural)] = resource
        discovery.BY_KIND[(resource.group, resource.kind)] = resource


def by_kind(group, kind):
    return discovery.BY_KIND[(group, kind)]


class ManagementApiServer(ApiServer):
    """The management cluster's API server: Secrets' stringData, and the list and metadata rules of CRDs."""

    def _create_internal(self, resource, obj, managed_fields=None):
        if resource.group in CUSTOM_GROUPS:
            obj = copy.deepcopy(obj)
            obj.setdefault("metadata", {})["generation"] = 1
        return super()._create_internal(resource, obj, managed_fields)

    def _store(self, key, obj, event_type):
        if key[:2] == ("", "secrets"):
            # The API server folds stringData into data (base64) and never stores or returns stringData.
            data = obj.get("data") or {}
            for name, value in (obj.pop("stringData", None) or {}).items():
                data[name] = base64.b64encode(str(value).encode()).decode()
            obj["data"] = data
            obj.setdefault("type", "Opaque")
        super()._store(key, obj, event_type)

    def _list(self, resource, version, namespace, query):
        listed = super()._list(resource, version, namespace, query)
        if resource.group in CUSTOM_GROUPS:
            # apiextensions-apiserver answers with unstructured lists, whose metadata always holds `continue`.
            listed["metadata"]["continue"] = ""
        return listed
