"""Fixtures shared by the local cloud's tests: connections to the running local cloud.

The local cloud must be up (`make localcloud-up`); without it every test that needs it fails with that hint.
"""

import os
from pathlib import Path

import openstack
import pytest
from keystoneauth1 import exceptions as ks_exceptions
from magnumclient.v1 import client as magnum_client

from localcloud.config import Paths

ADMIN_CLOUD = "localcloud"
MEMBER_CLOUD = "localcloud-member"


@pytest.fixture(scope="session")
def localcloud_paths() -> Paths:
    return Paths()


@pytest.fixture(scope="session")
def clouds_yaml(localcloud_paths) -> Path:
    path = localcloud_paths.clouds_yaml
    if not path.exists():
        pytest.fail(f"the local cloud is not up ({path} is missing): run `make localcloud-up` first")
    os.environ.setdefault("OS_CLIENT_CONFIG_FILE", str(path))
    return path


def _connect(clouds_yaml: Path, name: str) -> openstack.connection.Connection:
    config = openstack.config.OpenStackConfig(config_files=[str(clouds_yaml)])
    conn = openstack.connection.Connection(config=config.get_one(cloud=name))
    try:
        conn.authorize()
    except (ks_exceptions.ConnectFailure, ks_exceptions.DiscoveryFailure, openstack.exceptions.SDKException) as error:
        pytest.fail(f"the local cloud does not answer as {name!r} ({error}): run `make localcloud-up`")
    return conn


@pytest.fixture(scope="session")
def cloud(clouds_yaml) -> openstack.connection.Connection:
    """openstacksdk connection as the admin user of the admin project."""
    conn = _connect(clouds_yaml, ADMIN_CLOUD)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def member_cloud(clouds_yaml) -> openstack.connection.Connection:
    """openstacksdk connection as the member user `demo` of project `demo`."""
    conn = _connect(clouds_yaml, MEMBER_CLOUD)
    yield conn
    conn.close()


def magnum_max_version(conn: openstack.connection.Connection) -> str:
    endpoint = conn.endpoint_for("container-infra").rstrip("/")
    root = endpoint[: -len("/v1")] if endpoint.endswith("/v1") else endpoint
    versions = conn.session.get(root + "/", authenticated=False).json()["versions"]
    return next(version["max_version"] for version in versions if version["id"] == "v1")


def make_magnum_client(conn: openstack.connection.Connection, api_version: str | None = None):
    return magnum_client.Client(session=conn.session, region_name=conn.config.region_name, interface="public",
                                api_version=api_version or magnum_max_version(conn))


@pytest.fixture(scope="session")
def magnum(cloud):
    """python-magnumclient v1 client (admin) over the openstacksdk session, at the server's newest microversion."""
    return make_magnum_client(cloud)


@pytest.fixture(scope="session")
def member_magnum(member_cloud):
    return make_magnum_client(member_cloud)
