"""The Kubernetes API emulator of each Kubernetes cluster: started on the cluster's CA, restarted when it changes."""

import json
import shutil
import sys
import urllib.parse

from magnum.conductor.handlers.common import cert_manager

from localcloud_driver import paths

PORTS = range(27000, 28000)
RECORD = "magnum-driver.json"

if str(paths.LOCALCLOUD_SOURCE) not in sys.path:
    sys.path.append(str(paths.LOCALCLOUD_SOURCE))

from localcloud import kubeemu  # noqa: E402
from localcloud.process import port_free  # noqa: E402


def _record_path(cluster_uuid):
    return paths.kube_dir(cluster_uuid) / RECORD


def _read_record(cluster_uuid):
    try:
        return json.loads(_record_path(cluster_uuid).read_text())
    except (OSError, ValueError):
        return {}


def _allocate_port(cluster_uuid):
    """A port of the emulator range no other cluster holds and nothing listens on."""
    taken = set()
    for record_file in (paths.home() / "kube").glob("*/" + RECORD):
        if record_file.parent.name != cluster_uuid:
            try:
                taken.add(json.loads(record_file.read_text())["port"])
            except (OSError, ValueError, KeyError):
                continue
    for port in PORTS:
        if port not in taken and port_free(port):
            return port
    raise RuntimeError("no free port left for a Kubernetes API emulator in %d-%d" % (PORTS[0], PORTS[-1]))


def api_address(port):
    return "https://127.0.0.1:%d" % port


def ensure_emulator(context, cluster, masters, nodes, version, cinder_csi, unhealthy=False):
    """Have the cluster's emulator serve these nodes, version and CA; returns its api_address.

    masters and nodes are (name, address) pairs. A running emulator that already matches is left alone.
    """
    state_dir = paths.kube_dir(cluster.uuid)
    record = _read_record(cluster.uuid)
    spec = {
        "version": version,
        "cinder_csi": bool(cinder_csi),
        "masters": [list(member) for member in masters],
        "nodes": [list(member) for member in nodes],
        "ca_cert_ref": cluster.ca_cert_ref,
    }
    if unhealthy:
        spec["unhealthy"] = True
    if record.get("spec") == spec and kubeemu.emulator_pid(str(state_dir)):
        return api_address(record["port"])
    with paths.locked("emulator-ports"):
        port = record.get("port") or _previous_port(cluster) or _allocate_port(cluster.uuid)
        state_dir.mkdir(parents=True, exist_ok=True)
        _record_path(cluster.uuid).write_text(json.dumps({"port": port, "spec": None}))
    ca = cert_manager.get_cluster_ca_certificate(cluster, context=context)
    server_cert, server_key = kubeemu.make_server_certificate(
        ca.get_certificate(),
        ca.get_private_key(),
        hosts=[address for _, address in masters if address],
        ca_key_password=ca.get_private_key_passphrase(),
    )
    kubeemu.start_emulator(
        str(state_dir),
        port,
        ca.get_certificate(),
        server_cert,
        server_key,
        version=version,
        cinder_csi=cinder_csi,
        masters=masters,
        nodes=nodes,
        unhealthy=unhealthy,
    )
    _record_path(cluster.uuid).write_text(json.dumps({"port": port, "spec": spec}))
    return api_address(port)


def _previous_port(cluster):
    """The port of the cluster's api_address, so a restart keeps the address kubeconfigs point at."""
    if not cluster.api_address:
        return None
    port = urllib.parse.urlsplit(cluster.api_address).port
    return port if port in PORTS else None


def remove_emulator(cluster_uuid):
    state_dir = paths.kube_dir(cluster_uuid)
    kubeemu.stop_emulator(str(state_dir))
    shutil.rmtree(state_dir, ignore_errors=True)


def emulator_pid(cluster_uuid):
    return kubeemu.emulator_pid(str(paths.kube_dir(cluster_uuid)))
