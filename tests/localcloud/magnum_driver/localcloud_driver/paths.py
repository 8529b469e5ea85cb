"""Where the driver keeps per-cluster files: below the local cloud's folder, as everything the local cloud writes."""

import contextlib
import fcntl
import os
import sys
from pathlib import Path

# The driver lives in tests/localcloud/magnum_driver/localcloud_driver; the emulator package in tests/localcloud.
LOCALCLOUD_SOURCE = Path(__file__).resolve().parents[2]


def home():
    """$LOCALCLOUD_HOME, else the folder holding the services' virtualenv magnum-conductor runs from."""
    configured = os.environ.get("LOCALCLOUD_HOME")
    return Path(configured).resolve() if configured else Path(sys.prefix).resolve().parent


def kube_dir(cluster_uuid):
    return home() / "kube" / cluster_uuid


def locks_dir():
    return home() / "run" / "magnum-driver"


@contextlib.contextmanager
def locked(name):
    """An exclusive lock between the conductor's threads and processes (flock on a file per name)."""
    directory = locks_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ("%s.lock" % name), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def forget_lock(name):
    with contextlib.suppress(FileNotFoundError):
        (locks_dir() / ("%s.lock" % name)).unlink()
