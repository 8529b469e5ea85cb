"""Command line: python -m localcloud.kubeemu --port PORT --ca-cert CA --server-cert CRT --server-key KEY ..."""

import argparse
import logging
import os
import signal
import sys
import threading

from .apiserver import ApiServer
from .cinder import Cinder
from .process import PID_FILE
from .server import serve


def _members(names, count, prefix, is_master):
    members = []
    for entry in names or []:
        name, _, address = entry.partition("=")
        members.append((name, address or None, is_master))
    for index in range(count or 0):
        members.append((f"{prefix}-{'master' if is_master else 'node'}-{index}", None, is_master))
    return members


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m localcloud.kubeemu", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ca-cert", required=True, help="the cluster CA: client certificates must chain to it")
    parser.add_argument("--server-cert", required=True)
    parser.add_argument("--server-key", required=True)
    parser.add_argument("--version", default="v1.30.4", help="the Kubernetes version to emulate (kube_tag)")
    parser.add_argument("--cinder-csi", action=argparse.BooleanOptionalAction, default=True,
                        help="whether the Cinder CSI driver is installed")
    parser.add_argument("--unhealthy", action="store_true",
                        help="fail /healthz, /livez and /readyz as kube-apiserver does without etcd")
    parser.add_argument("--openstack-cloud", metavar="CLOUD",
                        help="the clouds.yaml entry (OS_CLIENT_CONFIG_FILE) whose credentials the cluster's Cinder "
                             "CSI driver and in-tree plugin use; without it neither can provision volumes")
    parser.add_argument("--cluster-id", default="kubernetes",
                        help="written into the metadata of the Cinder volumes it creates, as cinder-csi-plugin's "
                             "--cluster does")
    parser.add_argument("--master", action="append", metavar="NAME[=ADDRESS]")
    parser.add_argument("--node", action="append", metavar="NAME[=ADDRESS]")
    parser.add_argument("--master-count", type=int, default=0)
    parser.add_argument("--node-count", type=int, default=0)
    parser.add_argument("--name-prefix", default="k8s")
    parser.add_argument("--state-dir", help="where objects persist across restarts; holds the pid file")
    parser.add_argument("--provision-delay", type=float, default=0.2,
                        help="seconds a claim stays Pending before the provisioner binds it")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.state_dir:
        os.makedirs(args.state_dir, exist_ok=True)
    cinder = Cinder(args.openstack_cloud, args.cluster_id) if args.openstack_cloud else None
    api = ApiServer(args.version, cinder_csi=args.cinder_csi, state_dir=args.state_dir,
                    server_address=f"{args.host}:{args.port}", provision_delay=args.provision_delay,
                    unhealthy=args.unhealthy, cinder=cinder)
    members = _members(args.master, args.master_count, args.name_prefix, True)
    members += _members(args.node, args.node_count, args.name_prefix, False)
    if members or not api.seeded_nodes:
        api.set_nodes(members)
    server = serve(args.port, args.ca_cert, args.server_cert, args.server_key, api, host=args.host)
    api.start_controllers()
    pid_file = os.path.join(args.state_dir, PID_FILE) if args.state_dir else None
    if pid_file:
        with open(pid_file, "w", encoding="ascii") as handle:
            handle.write(str(os.getpid()))
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    logging.getLogger(__name__).info("serving Kubernetes %s on https://%s:%d", args.version, args.host, args.port)
    stopped.wait()
    api.stop()
    if cinder:
        cinder.shutdown()
    server.shutdown()
    server.server_close()
    if pid_file:
        try:
            with open(pid_file, encoding="ascii") as handle:
                mine = handle.read().strip() == str(os.getpid())
            if mine:
                os.unlink(pid_file)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
