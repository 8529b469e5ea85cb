"""`localcloud up|down|status|env|restart SERVICE|logs [SERVICE]|clean`."""

import argparse
import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from localcloud.config import Paths
from localcloud.process import State, group_rss_kib, kill_pid_file, pid_alive, port_open, start, stop, wait_for
from localcloud.services import BY_NAME, SERVICES, Service, render_configs, service_env


def report(message: str) -> None:
    print(message, flush=True)


_STATE_LOCK = threading.Lock()


def _start_service(service: Service, paths: Paths, state: State) -> bool:
    """Start one service unless it already runs; True when it was started now."""
    with _STATE_LOCK:
        if state.running(service.name):
            return False
        busy = [port for port in service.all_ports if port_open(port)]
        if busy:
            raise RuntimeError(f"{service.name}: port(s) {busy} already in use by a process this cloud did not start")
        env = service_env(service, paths)
        # A service run as another user starts in its own home: it may not be allowed into LOCALCLOUD_HOME/run.
        cwd = Path(env["HOME"]) if service.user else paths.run
        state.processes[service.name] = start(service.name, service.argv(paths), paths.log_file(service.name), env,
                                              port=service.main_port, user=service.user, cwd=cwd)
        state.save()
        return True


def _wait_ready(service: Service, state: State, timeout: float = 180) -> None:
    process = state.processes.get(service.name)
    if service.is_ready(process.pid if process else None):
        return
    wait_for(lambda: service.is_ready(process.pid if process else None), timeout, service.name, process)
    if process:
        report(f"  {service.name}: ready {time.time() - process.started:.0f} s after its start")


def _wait_all(names: list[str], state: State) -> None:
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        for future in [pool.submit(_wait_ready, BY_NAME[name], state) for name in names]:
            future.result()


def _retire_stale_proxy(paths: Paths, state: State) -> None:
    """Stop a running proxy started without a catalog port added since (a new service), so `up` restarts it."""
    process = state.running("proxy")
    proxy = BY_NAME["proxy"]
    if process and process.argv != proxy.argv(paths):
        stop(process, proxy.grace, proxy.stop_signal)
        del state.processes["proxy"]
        state.save()
        report("  proxy: restarting for the current catalog ports")


# The services that can start once a schema is built.
SERVICES_OF_SCHEMA = {
    "keystone": ["keystone"],
    "glance": ["glance"],
    "nova": ["nova"],
    "neutron": ["neutron"],
    "heat": ["heat-api", "heat-engine"],
    "magnum": ["magnum-api", "magnum-conductor"],
    "cinder": ["cinder-api", "cinder-scheduler", "cinder-volume"],
}


def up(paths: Paths) -> None:
    # Imported here: they need the services' virtualenv, which the other commands do without.
    from localcloud import database, seed

    began = time.monotonic()
    for directory in paths.mutable_dirs():
        directory.mkdir(parents=True, exist_ok=True)
    state = State(paths)
    already = [name for name in state.processes if state.running(name)]
    started: list[str] = []

    def start_named(names: list[str]) -> None:
        started.extend(name for name in names if _start_service(BY_NAME[name], paths, state))

    render_configs(paths)
    database.init_cluster(paths)
    if not state.running("postgres"):
        database.remove_stale_lock(paths)
    # RabbitMQ's Erlang VM would start an epmd of its own (on the default port) if ours were not up yet.
    start_named(["epmd", "postgres"])
    _wait_all(["epmd", "postgres"], state)
    _retire_stale_proxy(paths, state)
    start_named(["rabbitmq", "proxy", "capi"])
    database.create_databases()

    def build_and_start(schema: str) -> None:
        database.ensure_schema(paths, schema, report)
        start_named(SERVICES_OF_SCHEMA[schema])

    # Each service starts as soon as its own schema is there, so Keystone is seeded while others migrate.
    with ThreadPoolExecutor(max_workers=len(SERVICES_OF_SCHEMA)) as pool:
        builds = [pool.submit(build_and_start, schema) for schema in SERVICES_OF_SCHEMA]
        seed_mark, seed_version = paths.data / "seeded", seed.version()
        builds[0].result()
        _wait_all(["keystone", "proxy"], state)
        # Seeding is skipped when nothing had to start and the same seeds were applied before.
        reseed = bool(started) or not seed_mark.exists() or seed_mark.read_text() != seed_version
        if reseed:
            seed.seed_identity(paths, report)
        for build in builds:
            build.result()
    _wait_all([service.name for service in SERVICES], state)
    reseed = reseed or bool(started)
    if reseed:
        seed.seed_resources(paths, report)
        seed_mark.write_text(seed_version)
    seed.write_clouds_yaml(paths)
    state.save()
    if already:
        report(f"already running: {', '.join(already)}")
    report(f"started: {', '.join(started) if started else 'nothing (all running)'}")
    report(f"local cloud up in {time.monotonic() - began:.1f} s; use it with: eval \"$(make -s localcloud-env)\"")


def _emulator_pid_files(paths: Paths) -> list[Path]:
    return sorted(paths.kube.glob("*/pid"))


def down(paths: Paths) -> None:
    state = State(paths)
    infra = ("rabbitmq", "postgres", "epmd")

    def stop_one(name: str) -> None:
        process = state.processes.get(name)
        if process is None:
            return
        service = BY_NAME.get(name)
        stop(process, service.grace if service else 5, service.stop_signal if service else signal.SIGTERM)
        report(f"stopped {name} (pid {process.pid})")

    openstack = [name for name in state.processes if name not in infra]
    with ThreadPoolExecutor(max_workers=max(1, len(openstack))) as pool:
        list(pool.map(stop_one, openstack))
    # The driver in magnum-conductor starts the emulators: stop them once it cannot start new ones.
    pid_files = _emulator_pid_files(paths)
    with ThreadPoolExecutor(max_workers=max(1, len(pid_files))) as pool:
        emulators = sum(pool.map(lambda pid_file: kill_pid_file(pid_file, str(paths.root)), pid_files))
    if emulators:
        report(f"stopped {emulators} Kubernetes API emulator(s)")
    for name in infra:
        stop_one(name)
    state.processes.clear()
    state.save()


def status(paths: Paths) -> int:
    """Print each service's state; exit status 3 when any is down (as `service status` does)."""
    state = State(paths)
    down_count, rss_kib = 0, 0
    print(f"{'SERVICE':18} {'STATE':6} {'PORT':>6} {'PID':>8} {'RSS MiB':>8}  LOG")
    for service in SERVICES:
        process = state.running(service.name)
        ports = ",".join(str(port) for port in service.all_ports) or "-"
        if process:
            rss = group_rss_kib(process.pid)
            rss_kib += rss
            print(f"{service.name:18} {'up':6} {ports:>6} {process.pid:>8} {rss // 1024:>8}  {process.log}")
        else:
            down_count += 1
            print(f"{service.name:18} {'down':6} {ports:>6} {'-':>8} {'-':>8}")
    for pid_file in _emulator_pid_files(paths):
        pid = pid_file.read_text().split()[0] if pid_file.read_text().split() else "?"
        alive = pid.isdigit() and pid_alive(int(pid))
        name = "kube/" + pid_file.parent.name[:13]
        print(f"{name:18} {'up' if alive else 'gone':6} {'':>6} {pid:>8}")
    print(f"total RSS of the services: {rss_kib // 1024} MiB")
    return 0 if down_count == 0 else 3


def env(paths: Paths) -> None:
    print(f"export OS_CLIENT_CONFIG_FILE={paths.clouds_yaml}")
    print("export OS_CLOUD=localcloud")
    print(f"export LOCALCLOUD_HOME={paths.root}")


def restart(paths: Paths, names: list[str]) -> None:
    from localcloud.install import ensure_venv

    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        raise RuntimeError(f"unknown service(s) {', '.join(unknown)}; one of: {', '.join(BY_NAME)}")
    # A changed driver or localcloud project (entry points) is reinstalled before its service restarts.
    ensure_venv(paths, report)
    render_configs(paths)
    state = State(paths)
    for name in names:
        service = BY_NAME[name]
        process = state.processes.pop(name, None)
        if process:
            stop(process, service.grace, service.stop_signal)
            state.save()
        _start_service(service, paths, state)
        _wait_ready(service, state)
        report(f"restarted {name} (pid {state.processes[name].pid})")


def logs(paths: Paths, names: list[str]) -> None:
    files = [paths.log_file(name) for name in names] if names else sorted(paths.log.glob("*.log"))
    existing = [str(path) for path in files if path.exists()]
    if not existing:
        raise SystemExit("no log files yet")
    os.execvp("tail", ["tail", "-n", "50", *existing])


def clean(paths: Paths) -> None:
    from localcloud.database import remove_outside_data

    down(paths)
    remove_outside_data(paths)
    from localcloud import capi

    for directory in (*paths.mutable_dirs(), paths.root / "keys", capi.capi_dir(paths.root), capi.bin_dir(paths.root)):
        shutil.rmtree(directory, ignore_errors=True)
    for name in (paths.state, paths.clouds_yaml, paths.proxy_faults):
        name.unlink(missing_ok=True)
    report(f"removed the local cloud's data under {paths.root} (the virtualenv is kept)")


@contextlib.contextmanager
def exclusive(paths: Paths):
    """One changing command at a time: several test runs may call `up` on the shared cloud at once."""
    paths.root.mkdir(parents=True, exist_ok=True)
    with open(paths.root / "localcloud.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            report("waiting for another localcloud command to finish")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def run(args: argparse.Namespace) -> int:
    paths = Paths()
    if args.command in ("up", "down", "restart", "clean"):
        with exclusive(paths):
            return _run_command(args, paths)
    return _run_command(args, paths)


def _run_command(args: argparse.Namespace, paths: Paths) -> int:
    if args.command == "up":
        up(paths)
    elif args.command == "down":
        down(paths)
    elif args.command == "status":
        return status(paths)
    elif args.command == "env":
        env(paths)
    elif args.command == "restart":
        restart(paths, args.services)
    elif args.command == "logs":
        logs(paths, args.services)
    elif args.command == "clean":
        clean(paths)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="localcloud", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "down", "status", "env", "clean"):
        sub.add_parser(name)
    sub.add_parser("restart").add_argument("services", nargs="+", metavar="SERVICE")
    sub.add_parser("logs").add_argument("services", nargs="*", metavar="SERVICE")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        print(f"localcloud {args.command}: {error}", file=sys.stderr)
        return 1
