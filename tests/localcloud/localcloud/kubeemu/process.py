"""Run the emulator as a detached process per cluster: start, stop, and whether it runs."""

import os
import signal
import socket
import subprocess
import sys
import time

PID_FILE = "pid"
CA_FILE = "ca.crt"
CERT_FILE = "apiserver.crt"
KEY_FILE = "apiserver.key"
LOG_FILE = "emulator.log"


def _write(path, content, mode):
    content = content.encode() if isinstance(content, str) else content
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    os.chmod(path, mode)


def _is_emulator(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"localcloud.kubeemu" in handle.read()
    except OSError:
        return False


def emulator_pid(state_dir):
    """The PID of the emulator serving state_dir, or None when it does not run."""
    try:
        with open(os.path.join(state_dir, PID_FILE), encoding="ascii") as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        return None
    return pid if _is_emulator(pid) else None


def _port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def start_emulator(state_dir, port, ca_cert_pem, server_cert_pem, server_key_pem, version="v1.30.4",
                   cinder_csi=True, masters=(), nodes=(), timeout=15.0, python=None, unhealthy=False,
                   openstack_cloud="localcloud", cluster_id=None):
    """Start an emulator in its own session and return its PID once it accepts connections.

    Its Cinder CSI driver and in-tree plugin create real Cinder volumes with the credentials of the clouds.yaml
    entry ``openstack_cloud`` (found through OS_CLIENT_CONFIG_FILE; None: no cloud, nothing is provisioned),
    marked with ``cluster_id`` (default: the name of state_dir, the Magnum cluster's UUID).

    ``masters`` and ``nodes`` are node names, or (name, address) pairs. An emulator already serving state_dir is
    stopped first, so a call with new nodes (a resize) or certificates restarts it with the objects it had.
    """
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    stop_emulator(state_dir)
    _write(os.path.join(state_dir, CA_FILE), ca_cert_pem, 0o644)
    _write(os.path.join(state_dir, CERT_FILE), server_cert_pem, 0o644)
    _write(os.path.join(state_dir, KEY_FILE), server_key_pem, 0o600)
    command = [
        python or sys.executable, "-m", "localcloud.kubeemu",
        "--port", str(port), "--state-dir", state_dir, "--version", version,
        "--ca-cert", os.path.join(state_dir, CA_FILE),
        "--server-cert", os.path.join(state_dir, CERT_FILE),
        "--server-key", os.path.join(state_dir, KEY_FILE),
        "--cinder-csi" if cinder_csi else "--no-cinder-csi",
        "--cluster-id", cluster_id or os.path.basename(os.path.normpath(state_dir)),
    ]
    if unhealthy:
        command.append("--unhealthy")
    if openstack_cloud:
        command += ["--openstack-cloud", openstack_cloud]
    for option, members in (("--master", masters), ("--node", nodes)):
        for member in members:
            command += [option, member if isinstance(member, str) else "=".join(filter(None, member))]
    environment = dict(os.environ)
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, environment.get("PYTHONPATH")]))
    with open(os.path.join(state_dir, LOG_FILE), "ab") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env=environment, close_fds=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Kubernetes API emulator exited with {process.returncode}; see "
                               f"{os.path.join(state_dir, LOG_FILE)}")
        if _port_open(port) and emulator_pid(state_dir) == process.pid:
            return process.pid
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the Kubernetes API emulator did not listen on port {port} within {timeout} s")


def stop_emulator(state_dir, timeout=5.0):
    """Stop the emulator serving state_dir (SIGTERM, then SIGKILL); True when one was running. Keeps its objects."""
    pid = emulator_pid(state_dir)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _is_emulator(pid):
        time.sleep(0.05)
    if _is_emulator(pid):
        os.kill(pid, signal.SIGKILL)
        while _is_emulator(pid):
            time.sleep(0.05)
    try:
        os.unlink(os.path.join(state_dir, PID_FILE))
    except FileNotFoundError:
        pass
    return True
