"""PostgreSQL data folder, databases and each service's schema, each step done once and remembered."""

import hashlib
import os
import pwd
import shutil
import subprocess
import time

from pathlib import Path

from localcloud import config
from localcloud.config import Paths
from localcloud.services import postgres_bin


def _postgres_reaches(directory: Path) -> bool:
    """Whether the postgres user may traverse every folder down to `directory`."""
    return subprocess.run(["test", "-x", str(directory)], user="postgres").returncode == 0


def _data_dir(paths: Paths) -> Path:
    """Where PostgreSQL keeps its data: inside LOCALCLOUD_HOME whenever the postgres user can reach it.

    PostgreSQL refuses to run as root, and a LOCALCLOUD_HOME below a folder closed to other users (such as
    /root) cannot hold its data; then the data goes to the postgres user's own home, linked from
    data/postgres, and `localcloud clean` removes it as well.
    """
    link = paths.data / "postgres"
    if link.is_symlink() or link.exists():
        return link.resolve()
    paths.data.mkdir(parents=True, exist_ok=True)
    if _postgres_reaches(paths.data):
        link.mkdir()
        return link
    digest = hashlib.sha256(str(paths.root).encode()).hexdigest()[:12]
    outside = Path(pwd.getpwnam("postgres").pw_dir) / f"localcloud-{digest}"
    outside.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)
    return outside


def init_cluster(paths: Paths) -> None:
    data = _data_dir(paths)
    if (data / "PG_VERSION").exists():
        return
    shutil.chown(data, "postgres", "postgres")
    data.chmod(0o700)
    subprocess.run([postgres_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                    "--locale=C.UTF-8", "--no-sync"],
                   user="postgres", env={"PATH": "/usr/bin:/bin", "HOME": str(data), "LANG": "C.UTF-8"},
                   cwd=data, check=True, stdout=subprocess.DEVNULL)


def remove_stale_lock(paths: Paths) -> None:
    """Remove postmaster.pid left by a PostgreSQL that was killed (the machine's session ended, say).

    PostgreSQL refuses to start while the PID in that file exists, and after a restart of the machine that
    PID may well belong to an unrelated process.
    """
    lock = (paths.data / "postgres").resolve() / "postmaster.pid"
    try:
        pid = int(lock.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        running_postgres = Path(f"/proc/{pid}/comm").read_text().strip() == "postgres"
    except OSError:
        running_postgres = False
    if not running_postgres:
        lock.unlink(missing_ok=True)


def remove_outside_data(paths: Paths) -> None:
    """Remove the PostgreSQL data folder when it had to live outside LOCALCLOUD_HOME."""
    link = paths.data / "postgres"
    if link.is_symlink():
        shutil.rmtree(link.resolve(), ignore_errors=True)


def create_databases() -> None:
    import psycopg2

    connection = psycopg2.connect(host=config.HOST, port=config.POSTGRES_PORT, user="postgres", dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database")
        existing = {row[0] for row in cursor.fetchall()}
        for name in config.DATABASES:
            if name not in existing:
                cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


class Setup:
    """Runs one service's setup commands into its setup log."""

    def __init__(self, paths: Paths, name: str, niceness: int):
        self.paths = paths
        self.log = paths.log / f"setup-{name}.log"
        self.niceness = niceness

    def conf(self, project: str, name: str | None = None) -> list[str]:
        return ["--config-file", str(self.paths.conf_dir(project) / (name or f"{project}.conf"))]

    def run(self, *argv: str) -> None:
        env = {**os.environ, "HOME": str(self.paths.service_home), "LOCALCLOUD_HOME": str(self.paths.root)}
        with open(self.log, "ab") as out:
            out.write(f"\n===== setup: {' '.join(argv)}\n".encode())
            out.flush()
            result = subprocess.run(["nice", "-n", str(self.niceness), *argv], stdout=out,
                                    stderr=subprocess.STDOUT, env=env, cwd=self.paths.run)
        if result.returncode:
            raise RuntimeError(f"{' '.join(argv[:3])} failed ({result.returncode}); see {self.log}")


def _keystone(setup: Setup) -> None:
    paths = setup.paths
    manage = [str(paths.bin("keystone-manage")), *setup.conf("keystone")]
    for sub in ("fernet-keys", "credential-keys"):
        (paths.data / "keystone" / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
    setup.run(*manage, "db_sync")
    setup.run(*manage, "fernet_setup", "--keystone-user", "root", "--keystone-group", "root")
    setup.run(*manage, "credential_setup", "--keystone-user", "root", "--keystone-group", "root")
    setup.run(*manage, "bootstrap", "--bootstrap-password", config.ADMIN_PASSWORD,
              "--bootstrap-username", config.ADMIN_USER, "--bootstrap-project-name", config.ADMIN_PROJECT,
              "--bootstrap-region-id", config.REGION,
              "--bootstrap-public-url", config.keystone_url(),
              "--bootstrap-internal-url", config.keystone_url(),
              "--bootstrap-admin-url", config.keystone_url())


def _glance(setup: Setup) -> None:
    setup.run(str(setup.paths.bin("glance-manage")), *setup.conf("glance", "glance-api.conf"), "db_sync")


def _nova(setup: Setup) -> None:
    manage = [str(setup.paths.bin("nova-manage")), *setup.conf("nova")]
    setup.run(*manage, "api_db", "sync")
    setup.run(*manage, "cell_v2", "map_cell0", "--database_connection", config.database_url("nova_cell0"))
    setup.run(*manage, "db", "sync")


def _neutron(setup: Setup) -> None:
    setup.run(str(setup.paths.python), "-m", "localcloud.schema", "neutron", config.database_url("neutron"))
    setup.run(str(setup.paths.bin("neutron-db-manage")), *setup.conf("neutron"),
              *setup.conf("neutron", "plugins/ml2/ml2_conf.ini"), "stamp", "heads")


def _heat(setup: Setup) -> None:
    setup.run(str(setup.paths.bin("heat-manage")), *setup.conf("heat"), "db_sync")


def _magnum(setup: Setup) -> None:
    setup.run(str(setup.paths.python), "-m", "localcloud.schema", "magnum", config.database_url("magnum"))
    setup.run(str(setup.paths.bin("magnum-db-manage")), *setup.conf("magnum"), "stamp", "head")


def _cinder(setup: Setup) -> None:
    setup.run(str(setup.paths.bin("cinder-manage")), *setup.conf("cinder"), "db", "sync")


SCHEMAS = {"keystone": _keystone, "glance": _glance, "nova": _nova, "neutron": _neutron, "heat": _heat,
           "magnum": _magnum, "cinder": _cinder}


def ensure_schema(paths: Paths, name: str, report=print) -> None:
    """Build one service's schema unless it was built before (a mark file remembers it)."""
    marks = paths.data / "schema"
    marks.mkdir(parents=True, exist_ok=True)
    if (marks / name).exists():
        return
    started = time.monotonic()
    # Keystone's schema is on the critical path (every other step waits for Keystone): it gets the CPU first.
    SCHEMAS[name](Setup(paths, name, niceness=0 if name == "keystone" else 10))
    (marks / name).touch()
    report(f"  schema {name}: built in {time.monotonic() - started:.0f} s")
