"""The management cluster magnum-capi-helm drives, stood in for: Kubernetes API, helm, Cluster API and CAPO.

The driver itself (PyPI magnum-capi-helm) runs unchanged in magnum-conductor; see docs/localcloud.md.
"""

from pathlib import Path

# The management cluster's API (one emulator process for the whole cloud) and the workload clusters' ports.
MANAGEMENT_PORT = 24443
WORKLOAD_PORTS = range(29000, 30000)
# The chart the driver installs by default ([capi_helm] helm_chart_repo/helm_chart_name/default_helm_chart_version),
# and the chart versions this stand-in renders.
CHART_REPO = "https://azimuth-cloud.github.io/capi-helm-charts"
CHART_NAME = "openstack-cluster"
CHART_VERSIONS = ("0.10.1",)


def capi_dir(root: Path) -> Path:
    return root / "capi"


def kubeconfig_path(root: Path) -> Path:
    return capi_dir(root) / "kubeconfig"


def bin_dir(root: Path) -> Path:
    """Holds the `helm` stand-in; first on magnum-conductor's PATH."""
    return root / "bin"
