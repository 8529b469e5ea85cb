"""Start, track and stop the local cloud's processes: each one in its own session, recorded by PID."""

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from localcloud.config import HOST, Paths


@dataclass
class Process:
    name: str
    pid: int
    port: int | None
    log: str
    argv: list[str] = field(default_factory=list)
    started: float = 0.0


class State:
    """The state file: every process `up` started, so `down` stops exactly those."""

    def __init__(self, paths: Paths):
        self.path = paths.state
        self.processes: dict[str, Process] = {}
        if self.path.exists():
            for name, record in json.loads(self.path.read_text()).get("processes", {}).items():
                self.processes[name] = Process(**record)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"processes": {n: asdict(p) for n, p in self.processes.items()}}, indent=2))
        tmp.replace(self.path)

    def running(self, name: str) -> Process | None:
        process = self.processes.get(name)
        if process and pid_alive(process.pid, process.started):
            return process
        return None


def _boot_time() -> float:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0


def process_start_time(pid: int) -> float | None:
    """Start time of a PID in epoch seconds, so a PID reused by another program is not taken for ours."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None
    return _boot_time() + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def pid_alive(pid: int, started: float = 0.0) -> bool:
    actual = process_start_time(pid)
    if actual is None:
        return False
    return not started or abs(actual - started) < 2.0


def port_open(port: int, host: str = HOST) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def port_free(port: int, host: str = HOST) -> bool:
    """Whether a new server could bind the port (nothing holds it, listening or not)."""
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def start(name: str, argv: list[str], log: Path, env: dict[str, str], port: int | None = None,
          user: str | None = None, cwd: Path | None = None) -> Process:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        out.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} start {name}: {' '.join(argv)}\n".encode())
        out.flush()
        child = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
            cwd=cwd, start_new_session=True, user=user, close_fds=True,
        )
    return Process(name=name, pid=child.pid, port=port, log=str(log), argv=argv,
                   started=process_start_time(child.pid) or time.time())


def _signal_group(pid: int, sig: int) -> None:
    for target in (lambda: os.killpg(pid, sig), lambda: os.kill(pid, sig)):
        try:
            target()
            return
        except (ProcessLookupError, PermissionError):
            continue


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group (zombies, already dead, are left out)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def group_rss_kib(pgid: int) -> int:
    total = 0
    for pid in group_members(pgid):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def stop(process: Process, grace: float, first_signal: int = signal.SIGTERM) -> None:
    """Signal the process group, wait up to `grace` seconds, then SIGKILL whatever is left of it."""
    if pid_alive(process.pid, process.started):
        _signal_group(process.pid, first_signal)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not group_members(process.pid) and not pid_alive(process.pid, process.started):
            return
        time.sleep(0.1)
    _signal_group(process.pid, signal.SIGKILL)
    for _ in range(50):
        if not group_members(process.pid):
            return
        time.sleep(0.1)


def kill_pid_file(pid_file: Path, owner_marker: str, grace: float = 3.0) -> bool:
    """Stop a process another component started and recorded in a pid file (the Kubernetes emulators).

    Only a live process whose command line or environment names `owner_marker` is stopped, so a stale
    pid file never kills an unrelated program that got the same PID.
    """
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    proc = Path(f"/proc/{pid}")
    try:
        identity = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
    except OSError:
        return False
    if owner_marker.encode() not in identity or process_start_time(pid) is None:
        return False
    stop(Process(name=pid_file.parent.name, pid=pid, port=None, log=""), grace)
    return True


def wait_for(check, timeout: float, what: str, process: Process | None = None, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if process and not pid_alive(process.pid, process.started):
            raise RuntimeError(f"{what}: process {process.pid} exited; see {process.log}")
        time.sleep(interval)
    raise RuntimeError(f"{what}: not ready after {timeout:.0f} s" + (f"; see {process.log}" if process else ""))


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def connected_to(pgid: int, port: int) -> bool:
    """Whether any process of the group holds an established TCP connection to `port` (e.g. the broker)."""
    inodes = set().union(*(_socket_inodes(pid) for pid in group_members(pgid))) if group_members(pgid) else set()
    if not inodes:
        return False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[3] == "01" and fields[9] in inodes:
                return True
    return False
