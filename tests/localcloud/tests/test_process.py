"""How the local cloud starts and stops processes: by PID, whole process groups, never a stranger's PID."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from localcloud.process import Process, State, connected_to, kill_pid_file, pid_alive, start, stop
from localcloud.config import Paths

SLEEPER = [sys.executable, "-c", "import time, sys; time.sleep(600)"]
STUBBORN = [sys.executable, "-c",
            "import signal, subprocess, sys, time\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
            "time.sleep(600)"]


def test_started_process_is_recorded_and_stopped_with_its_children(tmp_path):
    paths = Paths(tmp_path)
    state = State(paths)
    process = start("stubborn", STUBBORN, paths.log_file("stubborn"), dict(os.environ))
    state.processes["stubborn"] = process
    state.save()
    assert State(paths).running("stubborn").pid == process.pid
    stop(process, grace=0.5)
    assert not pid_alive(process.pid, process.started)
    assert State(paths).running("stubborn") is None
    group = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True).stdout
    assert group == ""


def test_a_reused_pid_is_not_taken_for_the_recorded_process(tmp_path):
    child = subprocess.Popen(SLEEPER)
    try:
        recorded = Process(name="old", pid=child.pid, port=None, log="", started=1.0)
        assert not pid_alive(recorded.pid, recorded.started)
        assert pid_alive(child.pid)
    finally:
        child.kill()
        child.wait()


def test_pid_file_of_an_unrelated_process_is_left_alone(tmp_path):
    stranger = subprocess.Popen(SLEEPER, start_new_session=True)
    try:
        pid_file = tmp_path / "kube" / "cluster" / "pid"
        pid_file.parent.mkdir(parents=True)
        pid_file.write_text(f"{stranger.pid}\n")
        assert kill_pid_file(pid_file, owner_marker=str(tmp_path)) is False
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def test_pid_file_of_our_emulator_is_stopped(tmp_path):
    emulator = subprocess.Popen([*SLEEPER, str(tmp_path)], start_new_session=True)
    # Until the child has exec'd, /proc shows the parent's command line, which does not name the marker.
    deadline = time.monotonic() + 10
    while str(tmp_path).encode() not in Path(f"/proc/{emulator.pid}/cmdline").read_bytes():
        assert time.monotonic() < deadline, "the sleeper did not start"
        time.sleep(0.01)
    pid_file = tmp_path / "kube" / "cluster" / "pid"
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text(f"{emulator.pid}\n")
    assert kill_pid_file(pid_file, owner_marker=str(tmp_path), grace=2) is True
    assert emulator.wait(timeout=5) == -signal.SIGTERM


def test_broker_connection_is_seen_only_when_established(tmp_path):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = start("client", [sys.executable, "-c",
                              f"import socket, time; s = socket.create_connection(('127.0.0.1', {port})); "
                              "time.sleep(600)"], tmp_path / "client.log", dict(os.environ))
    try:
        conn, _ = listener.accept()
        assert connected_to(client.pid, port)
        assert not connected_to(client.pid, port + 1 if port < 65535 else port - 1)
        conn.close()
    finally:
        stop(client, grace=1)
        listener.close()
