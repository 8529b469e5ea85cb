"""python -m localcloud.capi --root LOCALCLOUD_HOME: the management cluster and its Cluster API controllers."""

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from localcloud.kubeemu import certs
from localcloud.kubeemu.server import serve

from . import MANAGEMENT_PORT, capi_dir, kubeconfig_path
from .controllers import Controllers
from .kubeclient import KubeClient, write_kubeconfig
from .resources import ManagementApiServer, register

LOG = logging.getLogger("localcloud.capi")
# The management cluster's own Kubernetes version (it runs the Cluster API controllers, not workloads).
MANAGEMENT_VERSION = "v1.30.4"


def _credentials(directory: Path):
    """The management cluster's CA, server certificate and admin kubeconfig (made once, kept)."""
    files = {name: directory / name for name in ("ca.crt", "ca.key", "apiserver.crt", "apiserver.key")}
    if not all(path.exists() for path in files.values()):
        ca_cert, ca_key = certs.make_ca("capi-management-ca")
        server_cert, server_key = certs.make_server_certificate(ca_cert, ca_key)
        for name, content in zip(files, (ca_cert, ca_key, server_cert, server_key)):
            descriptor = os.open(files[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m localcloud.capi", description=__doc__)
    parser.add_argument("--root", required=True, help="LOCALCLOUD_HOME")
    parser.add_argument("--port", type=int, default=MANAGEMENT_PORT)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between reconcile passes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("localcloud.kubeemu.server").setLevel(logging.WARNING)
    root = Path(args.root)
    directory = capi_dir(root)
    directory.mkdir(parents=True, exist_ok=True)
    files = _credentials(directory)
    ca_cert, ca_key = files["ca.crt"].read_bytes(), files["ca.key"].read_bytes()
    admin_cert, admin_key = certs.make_client_certificate(ca_cert, ca_key, "capi-admin", ("system:masters",))
    server = f"https://127.0.0.1:{args.port}"
    write_kubeconfig(kubeconfig_path(root), server, ca_cert, admin_cert, admin_key, "capi-management")

    register()
    (directory / "state").mkdir(exist_ok=True)
    api = ManagementApiServer(MANAGEMENT_VERSION, cinder_csi=False, state_dir=str(directory / "state"),
                              server_address=f"127.0.0.1:{args.port}")
    http = serve(args.port, str(files["ca.crt"]), str(files["apiserver.crt"]), str(files["apiserver.key"]), api)
    api.start_controllers()
    client = KubeClient.from_kubeconfig(kubeconfig_path(root))
    def wait_for_change(seen, timeout):
        with api.lock:
            api.lock.wait_for(lambda: api.resource_version != seen, timeout)
            return api.resource_version

    controllers = Controllers(client, root / "kube", sys.executable, args.interval, wait_for_change)
    controllers.start()
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    LOG.info("management cluster on %s, kubeconfig %s", server, kubeconfig_path(root))
    stopped.wait()
    controllers.stop()
    api.stop()
    http.shutdown()
    http.server_close()
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
