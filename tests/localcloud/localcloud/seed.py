"""Seed the cloud through its own APIs (idempotent): identity, catalog, images, flavors, keys, networks."""

import hashlib
import os
from pathlib import Path

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

import openstack
from localcloud import config
from localcloud.config import Paths
from localcloud.services import internal_url

# Service type, service name (a key of config.CATALOG_PORTS), path after the service's base URL.
CATALOG = [
    ("identity", "keystone", "/v3"),
    ("image", "glance", ""),
    ("compute", "nova", "/v2.1"),
    ("network", "neutron", ""),
    ("orchestration", "heat", "/v1/%(tenant_id)s"),
    ("container-infra", "magnum", "/v1"),
    ("block-storage", "cinder", "/v3/%(project_id)s"),
    ("volumev3", "cinder", "/v3/%(project_id)s"),
]
# Catalog names that differ from the CATALOG_PORTS key, as a packaged Cinder registers its two service types.
SERVICE_NAMES = {"volumev3": "cinderv3"}
SERVICE_USERS = ("glance", "nova", "neutron", "heat", "magnum", "placement", "cinder")
# Cinder volume types (name, description), all on the one fake backend; the first is the default
# (cinder.conf's default_volume_type).
VOLUME_TYPES = [("standard", "default volume type"), ("fast", "faster volumes")]
VOLUME_BACKEND = "fake"
IMAGES = [("fedora-coreos-40", "fedora-coreos"), ("Fedora-Atomic-25", "fedora-atomic"),
          ("ubuntu-jammy-kube-v1.30.4", "ubuntu"), ("ubuntu-jammy-kube-v1.31.1", "ubuntu")]
# Properties beyond os_distro, as sites running magnum-capi-helm publish their kubeadm images: the Kubernetes
# version the driver reads, and the driver Magnum (>= 2024.1) resolves a new template's `driver` from.
IMAGE_PROPERTIES = {
    "ubuntu-jammy-kube-v1.30.4": {"kube_version": "v1.30.4", "magnum_driver": "k8s_capi_helm_v1"},
    "ubuntu-jammy-kube-v1.31.1": {"kube_version": "v1.31.1", "magnum_driver": "k8s_capi_helm_v1"},
}
# name, vCPUs, RAM MiB, disk GiB
FLAVORS = [("m1.small", 1, 2048, 20), ("m1.medium", 2, 4096, 40), ("io.70GB", 2, 8192, 70)]
KEYPAIR = "default"
PUBLIC_NETWORK, PUBLIC_SUBNET, PUBLIC_CIDR = "public", "public-subnet", "172.24.4.0/24"
HEAT_ROLES = ("heat_stack_owner", "heat_stack_user")


def version() -> str:
    """Changes whenever what is seeded changes, so `up` re-applies the seeds."""
    digest = hashlib.sha256()
    for module in (__file__, config.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()


def _auth(username: str, password: str, project: str, auth_url: str) -> dict:
    return {"auth_url": auth_url, "username": username, "password": password, "project_name": project,
            "user_domain_name": "Default", "project_domain_name": "Default"}


def connect(username=config.ADMIN_USER, password=config.ADMIN_PASSWORD, project=config.ADMIN_PROJECT,
            auth_url: str | None = None, interface: str = "public") -> openstack.connection.Connection:
    return openstack.connect(auth=_auth(username, password, project, auth_url or config.keystone_url()),
                             region_name=config.REGION, interface=interface, identity_api_version="3")


def _ensure_role(conn, name: str):
    return conn.identity.find_role(name) or conn.identity.create_role(name=name)


def _ensure_project(conn, name: str, domain_id: str = "default"):
    return (conn.identity.find_project(name, domain_id=domain_id)
            or conn.identity.create_project(name=name, domain_id=domain_id, description="local cloud"))


def _ensure_user(conn, name: str, password: str, domain_id: str = "default", project=None):
    user = conn.identity.find_user(name, domain_id=domain_id)
    if user is None:
        kwargs = {"default_project_id": project.id} if project else {}
        user = conn.identity.create_user(name=name, password=password, domain_id=domain_id, **kwargs)
    return user


def _grant(conn, project, user, role) -> None:
    if not conn.identity.validate_user_has_project_role(project, user, role):
        conn.identity.assign_project_role_to_user(project, user, role)


def seed_identity(paths: Paths, report=print) -> None:
    """Service users, the heat domain, the member user and the catalog, through Keystone's API."""
    conn = connect(auth_url=internal_url("keystone") + "/v3", interface="internal")
    admin_role = _ensure_role(conn, "admin")
    member_role = _ensure_role(conn, "member")
    _ensure_role(conn, "reader")
    service_role = _ensure_role(conn, "service")
    for role in HEAT_ROLES:
        _ensure_role(conn, role)
    service_project = _ensure_project(conn, "service")
    for name in SERVICE_USERS:
        user = _ensure_user(conn, name, config.SERVICE_PASSWORD, project=service_project)
        _grant(conn, service_project, user, admin_role)
        _grant(conn, service_project, user, service_role)

    heat_domain = conn.identity.find_domain("heat") or conn.identity.create_domain(
        name="heat", description="Owns users and projects created by heat")
    heat_admin = _ensure_user(conn, "heat_domain_admin", config.SERVICE_PASSWORD, domain_id=heat_domain.id)
    if not conn.identity.validate_user_has_domain_role(heat_domain, heat_admin, admin_role):
        conn.identity.assign_domain_role_to_user(heat_domain, heat_admin, admin_role)

    demo_project = _ensure_project(conn, config.MEMBER_PROJECT)
    demo_user = _ensure_user(conn, config.MEMBER_USER, config.MEMBER_PASSWORD, project=demo_project)
    _grant(conn, demo_project, demo_user, member_role)
    _grant(conn, demo_project, demo_user, conn.identity.find_role("heat_stack_owner"))

    if conn.identity.find_region(config.REGION) is None:
        conn.identity.create_region(id=config.REGION)
    for service_type, name, path in CATALOG:
        service = next(iter(conn.identity.services(type=service_type)), None)
        if service is None:
            service = conn.identity.create_service(type=service_type, name=SERVICE_NAMES.get(service_type, name),
                                                   enabled=True)
        wanted = {"public": config.catalog_url(name) + path, "internal": internal_url(name) + path}
        existing = list(conn.identity.endpoints(service_id=service.id))
        for interface, url in wanted.items():
            matches = [e for e in existing if e.interface == interface]
            if matches and matches[0].url != url:
                conn.identity.update_endpoint(matches[0], url=url)
            elif not matches:
                conn.identity.create_endpoint(service_id=service.id, interface=interface, url=url,
                                              region_id=config.REGION, enabled=True)
            for extra in matches[1:]:
                conn.identity.delete_endpoint(extra)
        for endpoint in existing:
            if endpoint.interface not in wanted:
                conn.identity.delete_endpoint(endpoint)
    report("  identity and catalog: ready")


def _keypair_public(paths: Paths) -> str:
    key_dir = paths.root / "keys"
    key_dir.mkdir(exist_ok=True)
    private, public = key_dir / KEYPAIR, key_dir / f"{KEYPAIR}.pub"
    if not private.exists():
        key = ed25519.Ed25519PrivateKey.generate()
        private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                              serialization.NoEncryption()))
        private.chmod(0o600)
        public.write_bytes(key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                         serialization.PublicFormat.OpenSSH) + b" localcloud\n")
    return public.read_text().strip()


def _default_security_group_rules(conn) -> None:
    """Neutron's skipped migrations would have seeded these templates; without them groups get no egress."""
    if list(conn.network.default_security_group_rules()):
        return
    for ethertype in ("IPv4", "IPv6"):
        conn.network.create_default_security_group_rule(
            direction="egress", ethertype=ethertype, used_in_default_sg=True, used_in_non_default_sg=True)
        conn.network.create_default_security_group_rule(
            direction="ingress", ethertype=ethertype, remote_group_id="PARENT",
            used_in_default_sg=True, used_in_non_default_sg=False)


def _volume_types(conn) -> None:
    existing = {volume_type.name for volume_type in conn.block_storage.types()}
    for name, description in VOLUME_TYPES:
        if name not in existing:
            conn.block_storage.create_type(name=name, description=description, is_public=True,
                                           extra_specs={"volume_backend_name": VOLUME_BACKEND})


def seed_resources(paths: Paths, report=print) -> None:
    admin = connect()
    member = connect(config.MEMBER_USER, config.MEMBER_PASSWORD, config.MEMBER_PROJECT)
    for name, distro in IMAGES:
        image = admin.image.find_image(name)
        if image is not None and IMAGE_PROPERTIES.get(name):
            missing = {key: value for key, value in IMAGE_PROPERTIES[name].items()
                       if (image.properties or {}).get(key) != value}
            if missing:
                # Every wanted property at once: openstacksdk's patch drops extra properties it is not given.
                admin.image.update_image(image, **IMAGE_PROPERTIES[name])
        if image is None:
            admin.image.create_image(name, disk_format="qcow2", container_format="bare", visibility="public",
                                     os_distro=distro, allow_duplicates=True, **IMAGE_PROPERTIES.get(name, {}))
    for name, vcpus, ram, disk in FLAVORS:
        if admin.compute.find_flavor(name) is None:
            admin.compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=disk, is_public=True)
    public_key = _keypair_public(paths)
    for conn in (admin, member):
        if conn.compute.find_keypair(KEYPAIR) is None:
            conn.compute.create_keypair(name=KEYPAIR, public_key=public_key)
    _default_security_group_rules(admin)
    _volume_types(admin)
    network = admin.network.find_network(PUBLIC_NETWORK)
    if network is None:
        network = admin.network.create_network(
            name=PUBLIC_NETWORK, is_router_external=True, is_shared=True,
            provider_network_type="flat", provider_physical_network="public")
    if admin.network.find_subnet(PUBLIC_SUBNET, network_id=network.id) is None:
        admin.network.create_subnet(name=PUBLIC_SUBNET, network_id=network.id, ip_version=4, cidr=PUBLIC_CIDR,
                                    gateway_ip="172.24.4.1", is_dhcp_enabled=False)
    report("  images, flavors, keypairs, public network, volume types: ready")


def write_clouds_yaml(paths: Paths) -> None:
    def cloud(username, password, project):
        return {"auth": _auth(username, password, project, config.keystone_url()), "region_name": config.REGION,
                "interface": "public", "identity_api_version": 3}

    clouds = {"clouds": {
        "localcloud": cloud(config.ADMIN_USER, config.ADMIN_PASSWORD, config.ADMIN_PROJECT),
        "localcloud-member": cloud(config.MEMBER_USER, config.MEMBER_PASSWORD, config.MEMBER_PROJECT),
    }}
    text = yaml.safe_dump(clouds, sort_keys=False)
    target = Path(paths.clouds_yaml)
    if not target.exists() or target.read_text() != text:
        tmp = target.with_suffix(".tmp")
        tmp.write_text(text)
        os.chmod(tmp, 0o600)
        tmp.replace(target)
