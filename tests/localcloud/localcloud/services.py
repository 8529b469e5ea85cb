"""The processes of the local cloud: how each is configured, started, checked and stopped."""

import glob
import shutil
import signal
import string
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from localcloud import capi, config
from localcloud.config import HOST, Paths
from localcloud.process import connected_to, port_open

TEMPLATES = Path(__file__).resolve().parent / "etc"


def listen_port(service: str) -> int:
    """The real services listen behind the front proxy, which serves the catalog ports."""
    return config.backend_port(service)


def internal_url(service: str) -> str:
    return f"http://{HOST}:{listen_port(service)}"


@dataclass
class Service:
    name: str
    argv: Callable[[Paths], list[str]]
    env: Callable[[Paths], dict[str, str]] = lambda paths: {}
    user: str | None = None
    grace: float = 5.0
    stop_signal: int = signal.SIGTERM
    # Ports it listens on, other than an API's (whose port follows from `api`).
    ports: list[int] = field(default_factory=list)
    # An OpenStack API (key of config.CATALOG_PORTS): ready once its version document answers.
    api: str | None = None
    version_path: str = "/"
    # RPC-only services are ready once they hold a connection to RabbitMQ (they listen on no port).
    broker_client: bool = False

    def is_ready(self, pid: int | None = None) -> bool:
        if self.broker_client:
            return pid is not None and connected_to(pid, config.RABBITMQ_PORT)
        if self.api:
            return _http_ok(f"http://{HOST}:{listen_port(self.api)}{self.version_path}")
        return all(port_open(port) for port in self.all_ports)

    @property
    def all_ports(self) -> list[int]:
        if self.api:
            return [listen_port(self.api)]
        return self.ports

    @property
    def main_port(self) -> int | None:
        ports = self.all_ports
        return ports[0] if ports else None


def postgres_bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        raise RuntimeError(f"PostgreSQL's {name} not found under /usr/lib/postgresql")
    return candidates[-1]


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except OSError:
        return False


def _gunicorn(service: str, workers: int = 1, threads: int = 4) -> Callable[[Paths], list[str]]:
    def argv(paths: Paths) -> list[str]:
        return [
            str(paths.bin("gunicorn")), "--no-control-socket", "--bind", f"{HOST}:{listen_port(service)}",
            "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads), "--timeout", "300",
            "--graceful-timeout", "5", "--name", f"localcloud-{service}",
            f"localcloud.wsgi:app('{service}')",
        ]
    return argv


def _rabbitmq_env(paths: Paths) -> dict[str, str]:
    base = paths.data / "rabbitmq"
    return {
        "RABBITMQ_NODENAME": "localcloud@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": HOST,
        "RABBITMQ_NODE_PORT": str(config.RABBITMQ_PORT),
        "RABBITMQ_DIST_PORT": str(config.RABBITMQ_DIST_PORT),
        "ERL_EPMD_PORT": str(config.EPMD_PORT),
        "ERL_EPMD_ADDRESS": HOST,
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
        "RABBITMQ_LOG_BASE": str(paths.log / "rabbitmq"),
        "RABBITMQ_LOGS": str(paths.log / "rabbitmq" / "rabbit.log"),
        "RABBITMQ_CONFIG_FILE": str(paths.conf_dir("rabbitmq") / "rabbitmq"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(paths.conf_dir("rabbitmq") / "advanced.config"),
        "RABBITMQ_CONF_ENV_FILE": str(paths.conf_dir("rabbitmq") / "rabbitmq-env.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(paths.conf_dir("rabbitmq") / "enabled_plugins"),
        "RABBITMQ_PID_FILE": str(paths.run / "rabbitmq.pid"),
        "RABBITMQ_SERVER_START_ARGS": "",
        "HOME": str(base),
    }


def _conf_env(project: str, variable: str, *, directory: bool = True) -> Callable[[Paths], dict[str, str]]:
    def env(paths: Paths) -> dict[str, str]:
        conf_dir = paths.conf_dir(project)
        return {variable: str(conf_dir) if directory else str(conf_dir / f"{project}.conf")}
    return env


def _config_file_env(project: str, log_name: str) -> Callable[[Paths], dict[str, str]]:
    """For WSGI apps that take their config file and log file from argv (see localcloud.wsgi)."""
    return lambda paths: {"LOCALCLOUD_CONFIG_FILE": str(paths.conf_dir(project) / f"{project}.conf"),
                          "LOCALCLOUD_SERVICE_LOG": str(paths.log_file(log_name))}


def _console(script: str, project: str) -> Callable[[Paths], list[str]]:
    return lambda paths: [str(paths.bin(script)), "--config-file", str(paths.conf_dir(project) / f"{project}.conf"),
                          "--log-file", str(paths.log_file(script))]


def _proxy_argv(paths: Paths) -> list[str]:
    argv = [str(paths.python), "-m", "localcloud.proxy", "--log", str(paths.proxy_log),
            "--faults", str(paths.proxy_faults)]
    for service, port in config.CATALOG_PORTS.items():
        argv += ["--listen", str(port), "--backend", f"http://{HOST}:{config.backend_port(service)}",
                 "--service", service]
    return argv


def _capi_argv(paths: Paths) -> list[str]:
    return [str(paths.python), "-m", "localcloud.capi", "--root", str(paths.root), "--port", str(capi.MANAGEMENT_PORT)]


def _conductor_env(paths: Paths) -> dict[str, str]:
    """magnum-capi-helm runs `helm` from PATH: the stand-in's folder comes first."""
    return {"PATH": f"{capi.bin_dir(paths.root)}:{_path(paths)}"}


def _path(paths: Paths) -> str:
    return f"{paths.venv / 'bin'}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def postgres_data_dir(paths: Paths) -> Path:
    """The PostgreSQL data folder: `data/postgres`, or the folder that link points to (see database.py)."""
    return (paths.data / "postgres").resolve()


def _postgres_argv(paths: Paths) -> list[str]:
    return [postgres_bin("postgres"), "-D", str(postgres_data_dir(paths)), "-p", str(config.POSTGRES_PORT),
            "-c", f"listen_addresses={HOST}", "-c", "unix_socket_directories=",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=300", "-c", "shared_buffers=64MB"]


SERVICES: list[Service] = [
    Service("epmd", lambda paths: ["epmd", "-port", str(config.EPMD_PORT), "-address", HOST],
            ports=[config.EPMD_PORT], grace=2),
    Service("rabbitmq", lambda paths: ["/usr/lib/rabbitmq/bin/rabbitmq-server"], ports=[config.RABBITMQ_PORT],
            env=_rabbitmq_env, grace=15),
    Service("postgres", _postgres_argv, ports=[config.POSTGRES_PORT], user="postgres", stop_signal=signal.SIGINT,
            grace=10),
    # Two single-threaded workers: every other service validates its tokens here.
    Service("keystone", _gunicorn("keystone", workers=2, threads=1), api="keystone", version_path="/v3",
            env=_conf_env("keystone", "OS_KEYSTONE_CONFIG_FILES", directory=False)),
    Service("glance", _gunicorn("glance"), api="glance", env=_conf_env("glance", "OS_GLANCE_CONFIG_DIR")),
    Service("nova", _gunicorn("nova"), api="nova", env=_conf_env("nova", "OS_NOVA_CONFIG_DIR")),
    Service("neutron", _gunicorn("neutron"), api="neutron", env=_conf_env("neutron", "OS_NEUTRON_CONFIG_DIR")),
    Service("heat-api", _gunicorn("heat"), api="heat", env=_config_file_env("heat", "heat-api")),
    # heat-engine needs ~12 s and magnum-conductor over 25 s to stop on SIGTERM; they keep no state worth it.
    Service("heat-engine", _console("heat-engine", "heat"), grace=3, broker_client=True),
    Service("magnum-api", _gunicorn("magnum"), api="magnum", env=_config_file_env("magnum", "magnum-api")),
    Service("magnum-conductor", _console("magnum-conductor", "magnum"), env=_conductor_env, grace=3,
            broker_client=True),
    Service("cinder-api", _gunicorn("cinder"), api="cinder", env=_config_file_env("cinder", "cinder-api")),
    Service("cinder-scheduler", _console("cinder-scheduler", "cinder"), grace=3, broker_client=True),
    # cinder-volume runs its backend in a child process; the group is stopped and measured together.
    Service("cinder-volume", _console("cinder-volume", "cinder"), grace=3, broker_client=True),
    # The Cluster API management cluster of magnum-capi-helm, its controllers, and the workload clusters they make.
    Service("capi", _capi_argv, ports=[capi.MANAGEMENT_PORT], grace=3),
    Service("proxy", _proxy_argv, ports=list(config.CATALOG_PORTS.values()), grace=3),
]

BY_NAME = {service.name: service for service in SERVICES}


def render_configs(paths: Paths) -> None:
    """Write every service's configuration below LOCALCLOUD_HOME from the templates beside this module."""
    keystone_internal = f"http://{HOST}:{listen_port('keystone')}"
    authtoken = "\n".join([
        f"www_authenticate_uri = {config.keystone_url()}",
        f"auth_url = {keystone_internal}/v3",
        "auth_type = password",
        f"password = {config.SERVICE_PASSWORD}",
        "project_name = service",
        "user_domain_name = Default",
        "project_domain_name = Default",
        f"region_name = {config.REGION}",
        "interface = internal",
        "service_token_roles_required = true",
    ])
    values = {
        "log_dir": paths.log, "data_dir": paths.data, "run_dir": paths.run, "venv": paths.venv,
        "transport_url": config.transport_url(), "region": config.REGION,
        "service_password": config.SERVICE_PASSWORD, "keystone_authtoken": authtoken,
        "keystone_internal": f"{keystone_internal}/v3", "keystone_internal_root": keystone_internal,
        "heat_url": config.catalog_url("heat"), "magnum_port": listen_port("magnum"),
        "cinder_port": listen_port("cinder"),
        "capi_kubeconfig": capi.kubeconfig_path(paths.root),
    }
    values.update({f"db_{name}": config.database_url(name) for name in config.DATABASES})
    layout = {
        "keystone": ["keystone.conf"],
        "glance": ["glance-api.conf"],
        "nova": ["nova.conf"],
        "neutron": ["neutron.conf", "ml2_conf.ini"],
        "heat": ["heat.conf"],
        "magnum": ["magnum.conf"],
        "cinder": ["cinder.conf"],
    }
    for project, files in layout.items():
        conf_dir = paths.conf_dir(project)
        conf_dir.mkdir(parents=True, exist_ok=True)
        for name in files:
            template = string.Template((TEMPLATES / name).read_text())
            text = template.substitute({**values, "conf_dir": conf_dir})
            target = conf_dir / ("plugins/ml2/ml2_conf.ini" if name == "ml2_conf.ini" else name)
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_if_changed(target, text)
    for project, paste in (("glance", "glance-api-paste.ini"), ("nova", "api-paste.ini"),
                           ("neutron", "api-paste.ini"), ("cinder", "api-paste.ini")):
        shutil.copyfile(paths.venv / "etc" / project / paste, paths.conf_dir(project) / paste)
    rabbit_dir = paths.conf_dir("rabbitmq")
    rabbit_dir.mkdir(parents=True, exist_ok=True)
    _write_if_changed(rabbit_dir / "rabbitmq.conf", "\n".join([
        "loopback_users = none",
        f"listeners.tcp.default = {HOST}:{config.RABBITMQ_PORT}",
        "log.console = false",
        f"log.file = {paths.log / 'rabbitmq' / 'rabbit.log'}",
        "log.file.level = warning",
        "disk_free_limit.absolute = 50MB",
    ]) + "\n")
    # Erlang's distribution port listens on every interface unless told otherwise.
    _write_if_changed(rabbit_dir / "advanced.config", "[{kernel, [{inet_dist_use_interface, {127, 0, 0, 1}}]}].\n")
    _write_if_changed(rabbit_dir / "enabled_plugins", "[].\n")
    _write_if_changed(rabbit_dir / "rabbitmq-env.conf", "\n")
    for directory in (paths.log / "rabbitmq", paths.data / "rabbitmq",
                      paths.data / "glance" / "images", paths.data / "nova", paths.data / "neutron",
                      paths.data / "magnum", paths.data / "cinder", paths.kube, paths.service_home):
        directory.mkdir(parents=True, exist_ok=True)
    for project in ("glance", "nova", "neutron", "heat", "magnum", "cinder"):
        (paths.run / project).mkdir(parents=True, exist_ok=True)
    _write_helm(paths)


def _write_helm(paths: Paths) -> None:
    """The `helm` magnum-capi-helm runs: the stand-in of localcloud.capi.helm in the services' virtualenv."""
    helm = capi.bin_dir(paths.root) / "helm"
    helm.parent.mkdir(parents=True, exist_ok=True)
    _write_if_changed(helm, "#!/bin/sh\n"
                            f"PYTHONPATH='{config.SOURCE_DIR}' exec '{paths.python}' -m localcloud.capi.helm \"$@\"\n")
    helm.chmod(0o755)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def service_env(service: Service, paths: Paths) -> dict[str, str]:
    env = {
        "PATH": _path(paths),
        "HOME": str(paths.service_home),
        "XDG_CACHE_HOME": str(paths.root / "cache"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "LOCALCLOUD_HOME": str(paths.root),
        "PYTHONUNBUFFERED": "1",
        "OS_CLIENT_CONFIG_FILE": str(paths.clouds_yaml),
        # The WSGI entry points (localcloud.wsgi) of the source tree whose `localcloud` started the service.
        "PYTHONPATH": str(config.SOURCE_DIR),
    }
    if service.user == "postgres":
        env["HOME"] = str(postgres_data_dir(paths))
    env.update(service.env(paths))
    return {key: str(value) for key, value in env.items()}
