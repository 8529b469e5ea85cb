#!/usr/bin/env python
"""Start or stop an emulated Kubernetes API for the coe_storage target, with a kubeconfig that authenticates to it.

    kube_cluster.py start DIR VERSION --csi|--no-csi --localcloud-source PATH
    kube_cluster.py stop DIR --localcloud-source PATH

start makes a cluster CA, a server certificate, an admin client certificate (group system:masters) and one from
a foreign CA, starts the local cloud's emulator on a free port and writes DIR/config (the kubeconfig),
DIR/foreign-config (a kubeconfig the server must reject) and DIR/ca.pem, cert.pem, key.pem; it prints a JSON
summary. stop stops the emulator serving DIR and deletes the Cinder volumes its claims left behind.

The emulator's Cinder CSI driver creates real volumes in the cloud named by OS_CLOUD (in OS_CLIENT_CONFIG_FILE),
each marked with the cluster's ID, which is derived from DIR.
"""

import argparse
import base64
import hashlib
import json
import os
import socket
import sys


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def write(path, content, mode=0o600):
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, 'wb') as handle:
        handle.write(content if isinstance(content, bytes) else content.encode())


def kubeconfig(server, ca_pem, cert_pem, key_pem):
    def data(pem):
        return base64.b64encode(pem).decode()
    return {
        'apiVersion': 'v1', 'kind': 'Config', 'current-context': 'default',
        'clusters': [{'name': 'emulated', 'cluster': {'server': server, 'certificate-authority-data': data(ca_pem)}}],
        'users': [{'name': 'admin', 'user': {'client-certificate-data': data(cert_pem),
                                             'client-key-data': data(key_pem)}}],
        'contexts': [{'name': 'default', 'context': {'cluster': 'emulated', 'user': 'admin'}}],
    }


def cluster_id(directory):
    return 'coe-storage-' + hashlib.sha256(os.path.abspath(directory).encode()).hexdigest()[:12]


def delete_volumes(directory):
    """Delete the Cinder volumes the cluster of DIR created; their names, for the summary."""
    import openstack
    from localcloud.kubeemu.cinder import CLUSTER_METADATA

    conn = openstack.connect(cloud=os.environ.get('OS_CLOUD'))
    names = []
    for volume in conn.block_storage.volumes():
        if (volume.metadata or {}).get(CLUSTER_METADATA) == cluster_id(directory):
            conn.block_storage.delete_volume(volume, ignore_missing=True)
            names.append(volume.name)
    return names


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('action', choices=['start', 'stop'])
    parser.add_argument('directory')
    parser.add_argument('version', nargs='?', default='v1.30.4')
    parser.add_argument('--csi', action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument('--localcloud-source', required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.localcloud_source)
    from localcloud.kubeemu import (
        make_ca, make_client_certificate, make_server_certificate, start_emulator, stop_emulator,
    )

    state = os.path.join(args.directory, 'state')
    if args.action == 'stop':
        json.dump({'stopped': stop_emulator(state), 'deleted_volumes': delete_volumes(args.directory)}, sys.stdout)
        return
    os.makedirs(args.directory, mode=0o700, exist_ok=True)
    ca_pem, ca_key = make_ca()
    server_pem, server_key = make_server_certificate(ca_pem, ca_key)
    cert_pem, key_pem = make_client_certificate(ca_pem, ca_key, 'admin', groups=['system:masters'])
    foreign_ca, foreign_ca_key = make_ca('foreign-ca')
    foreign_pem, foreign_key = make_client_certificate(foreign_ca, foreign_ca_key, 'admin', groups=['system:masters'])
    port = free_port()
    pid = start_emulator(state, port, ca_pem, server_pem, server_key, version=args.version, cinder_csi=args.csi,
                         openstack_cloud=os.environ.get('OS_CLOUD'), cluster_id=cluster_id(args.directory))
    server = 'https://127.0.0.1:%d' % port
    write(os.path.join(args.directory, 'config'), json.dumps(kubeconfig(server, ca_pem, cert_pem, key_pem)))
    write(os.path.join(args.directory, 'foreign-config'),
          json.dumps(kubeconfig(server, ca_pem, foreign_pem, foreign_key)))
    write(os.path.join(args.directory, 'ca.pem'), ca_pem, 0o644)
    write(os.path.join(args.directory, 'cert.pem'), cert_pem, 0o644)
    write(os.path.join(args.directory, 'key.pem'), key_pem)
    json.dump({'server': server, 'pid': pid, 'kubeconfig': os.path.join(args.directory, 'config')}, sys.stdout)


if __name__ == '__main__':
    main()
