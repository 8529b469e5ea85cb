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


def _run(paths: Paths, log: Path, *argv: str) -> None:
    env = {**os.environ, "HOME": str(paths.service_home), "LOCALCLOUD_HOME": str(paths.root)}
    with open(log, "ab") as out:
        out.write(f"\n===== setup: {' '.join(argv)}\n".encode())
        out.flush()
        result = subprocess.run(list(argv), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=paths.run)
    if result.returncode:
        raise RuntimeError(f"{' '.join(argv[:3])} failed ({result.returncode}); see {log}")


def _keystone(paths: Paths, log: Path) -> None:
    conf = ["--config-file", str(paths.conf_dir("keystone") / "keystone.conf")]
    manage = str(paths.bin("keystone-manage"))
    for sub in ("fernet-keys", "credential-keys"):
        (paths.data / "keystone" / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
    _run(paths, log, manage, *conf, "db_sync")
    _run(paths, log, manage, *conf, "fernet_setup", "--keystone-user", "root", "--keystone-group", "root")
    _run(paths, log, manage, *conf, "credential_setup", "--keystone-user", "root", "--keystone-group", "root")
    _run(paths, log, manage, *conf, "bootstrap", "--bootstrap-password", config.ADMIN_PASSWORD,
         "--bootstrap-username", config.ADMIN_USER, "--bootstrap-project-name", config.ADMIN_PROJECT,
         "--bootstrap-region-id", config.REGION,
         "--bootstrap-public-url", config.keystone_url(),
         "--bootstrap-internal-url", config.keystone_url(),
         "--bootstrap-admin-url", config.keystone_url())


def _glance(paths: Paths, log: Path) -> None:
    _run(paths, log, str(paths.bin("glance-manage")), "--config-file",
         str(paths.conf_dir("glance") / "glance-api.conf"), "db_sync")


def _nova(paths: Paths, log: Path) -> None:
    manage = [str(paths.bin("nova-manage")), "--config-file", str(paths.conf_dir("nova") / "nova.conf")]
    _run(paths, log, *manage, "api_db", "sync")
    _run(paths, log, *manage, "cell_v2", "map_cell0", "--database_connection", config.database_url("nova_cell0"))
    _run(paths, log, *manage, "db", "sync")


def _neutron(paths: Paths, log: Path) -> None:
    _run(paths, log, str(paths.python), "-m", "localcloud.schema", "neutron", config.database_url("neutron"))
    _run(paths, log, str(paths.bin("neutron-db-manage")),
         "--config-file", str(paths.conf_dir("neutron") / "neutron.conf"),
         "--config-file", str(paths.conf_dir("neutron") / "plugins/ml2/ml2_conf.ini"), "stamp", "heads")


def _heat(paths: Paths, log: Path) -> None:
    _run(paths, log, str(paths.bin("heat-manage")), "--config-file",
         str(paths.conf_dir("heat") / "heat.conf"), "db_sync")


def _magnum(paths: Paths, log: Path) -> None:
    _run(paths, log, str(paths.python), "-m", "localcloud.schema", "magnum", config.database_url("magnum"))
    _run(paths, log, str(paths.bin("magnum-db-manage")), "--config-file",
         str(paths.conf_dir("magnum") / "magnum.conf"), "stamp", "head")


SCHEMAS = {"keystone": _keystone, "glance": _glance, "nova": _nova, "neutron": _neutron, "heat": _heat,
           "magnum": _magnum}


def ensure_schema(paths: Paths, name: str, report=print) -> None:
    """Build one service's schema unless it was built before (a mark file remembers it)."""
    marks = paths.data / "schema"
    marks.mkdir(parents=True, exist_ok=True)
    if (marks / name).exists():
        return
    started = time.monotonic()
    SCHEMAS[name](paths, paths.log / f"setup-{name}.log")
    (marks / name).touch()
    report(f"  schema {name}: built in {time.monotonic() - started:.0f} s")
