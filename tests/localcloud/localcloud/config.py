"""Where the local cloud keeps its files, which ports it uses and the credentials it seeds."""

import os
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = SOURCE_DIR.parent.parent
HOST = "127.0.0.1"
REGION = "RegionOne"

POSTGRES_PORT = 25432
RABBITMQ_PORT = 25672
RABBITMQ_DIST_PORT = 25673
EPMD_PORT = 25369
BACKEND_OFFSET = 1000

# Catalog (public) port of each OpenStack API; the real service listens on port + BACKEND_OFFSET.
CATALOG_PORTS = {
    "keystone": 25000,
    "glance": 25292,
    "nova": 25774,
    "neutron": 25696,
    "heat": 25004,
    "magnum": 25511,
    "cinder": 25776,
}

SERVICE_PASSWORD = "localcloud-service"
ADMIN_USER, ADMIN_PASSWORD, ADMIN_PROJECT = "admin", "localcloud-admin", "admin"
MEMBER_USER, MEMBER_PASSWORD, MEMBER_PROJECT = "demo", "localcloud-demo", "demo"
DATABASES = ("keystone", "glance", "nova_api", "nova", "nova_cell0", "neutron", "heat", "magnum",
             "cinder")


def home() -> Path:
    return Path(os.environ.get("LOCALCLOUD_HOME") or REPO_DIR / ".localcloud").resolve()


class Paths:
    """Every file the local cloud writes lives below one folder."""

    def __init__(self, root: Path | None = None):
        self.root = root or home()
        self.venv = self.root / "venv"
        self.etc = self.root / "etc"
        self.data = self.root / "data"
        self.log = self.root / "log"
        self.run = self.root / "run"
        self.service_home = self.root / "home"
        self.kube = self.root / "kube"
        self.state = self.root / "state.json"
        self.clouds_yaml = self.root / "clouds.yaml"
        self.proxy_log = self.log / "requests.jsonl"
        self.proxy_faults = self.root / "faults.json"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    def log_file(self, service: str) -> Path:
        return self.log / f"{service}.log"

    def conf_dir(self, project: str) -> Path:
        return self.etc / project

    def mutable_dirs(self):
        return (self.etc, self.data, self.log, self.run, self.service_home, self.kube)


def database_url(name: str) -> str:
    return f"postgresql+psycopg2://postgres@{HOST}:{POSTGRES_PORT}/{name}"


def transport_url() -> str:
    return f"rabbit://guest:guest@{HOST}:{RABBITMQ_PORT}/"


def catalog_url(service: str) -> str:
    return f"http://{HOST}:{CATALOG_PORTS[service]}"


def backend_port(service: str) -> int:
    return CATALOG_PORTS[service] + BACKEND_OFFSET


def keystone_url() -> str:
    return catalog_url("keystone") + "/v3"


def keystone_backend_url() -> str:
    return f"http://{HOST}:{backend_port('keystone')}/v3"
