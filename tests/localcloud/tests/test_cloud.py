"""The local cloud as a user sees it: catalog, seeds, Magnum templates, roles, and an idempotent `up`."""

import re
import subprocess
import uuid
from urllib.parse import urlsplit

import openstack
import pytest
from magnumclient import exceptions as magnum_exceptions

from localcloud import config, seed

LOCALCLOUD = config.SOURCE_DIR / "bin" / "localcloud"
SERVICE_TYPES = {
    "identity": "keystone",
    "image": "glance",
    "compute": "nova",
    "network": "neutron",
    "orchestration": "heat",
    "container-infra": "magnum",
}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def template_fields(name: str, **extra) -> dict:
    return {"name": name, "coe": "kubernetes", "image_id": "fedora-coreos-40", "external_network_id": "public",
            "keypair_id": seed.KEYPAIR, "flavor_id": "m1.small", "master_flavor_id": "m1.small",
            "network_driver": "flannel", "dns_nameserver": "193.166.4.25", **extra}


def run_localcloud(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(LOCALCLOUD), *args], capture_output=True, text=True, timeout=600)


def status_table() -> dict[str, tuple[str, str]]:
    result = run_localcloud("status")
    rows = {}
    for line in result.stdout.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 4 and fields[1] in ("up", "down"):
            rows[fields[0]] = (fields[1], fields[3])
    return rows


def test_catalog_lists_the_six_services_behind_the_proxy_ports(cloud):
    catalog = {entry["type"]: entry for entry in cloud.service_catalog}
    assert set(SERVICE_TYPES) <= set(catalog)
    for service_type, api in SERVICE_TYPES.items():
        public = [e for e in catalog[service_type]["endpoints"] if e["interface"] == "public"]
        assert public, f"no public endpoint for {service_type}"
        assert public[0]["region_id"] == config.REGION
        assert urlsplit(public[0]["url"]).port == config.CATALOG_PORTS[api]


def test_every_api_answers_through_its_catalog_port(cloud):
    assert cloud.identity.get_project(cloud.current_project_id).name == config.ADMIN_PROJECT
    assert list(cloud.image.images())
    assert list(cloud.compute.flavors())
    assert list(cloud.network.networks())
    assert list(cloud.orchestration.stacks()) is not None
    assert list(cloud.container_infrastructure_management.cluster_templates()) is not None


def test_images_carry_the_os_distro_magnum_selects_drivers_by(cloud):
    for name, distro in seed.IMAGES:
        image = cloud.image.find_image(name, ignore_missing=False)
        assert image.os_distro == distro
        assert image.visibility == "public"


def test_flavors_are_seeded(cloud):
    names = {flavor.name for flavor in cloud.compute.flavors()}
    assert {"m1.small", "m1.medium", "io.70GB"} <= names


def test_admin_and_member_each_have_the_default_keypair(cloud, member_cloud):
    for conn in (cloud, member_cloud):
        assert conn.compute.find_keypair(seed.KEYPAIR) is not None


def test_public_network_is_external_and_shared_with_a_subnet(cloud, member_cloud):
    network = cloud.network.find_network(seed.PUBLIC_NETWORK, ignore_missing=False)
    assert network.is_router_external and network.is_shared
    subnets = list(cloud.network.subnets(network_id=network.id))
    assert [subnet.cidr for subnet in subnets] == [seed.PUBLIC_CIDR]
    assert member_cloud.network.find_network(seed.PUBLIC_NETWORK) is not None


def test_member_works_in_its_own_project_with_the_member_role(member_cloud):
    assert member_cloud.identity.get_project(member_cloud.current_project_id).name == config.MEMBER_PROJECT
    roles = member_cloud.session.auth.get_access(member_cloud.session).role_names
    assert "member" in roles and "admin" not in roles


def test_member_gets_a_private_network_and_groups_with_egress_rules(member_cloud):
    network = member_cloud.network.create_network(name=unique("lc-net"))
    group = member_cloud.network.create_security_group(name=unique("lc-sg"))
    try:
        assert network.project_id == member_cloud.current_project_id
        egress = {rule["ethertype"] for rule in group.security_group_rules if rule["direction"] == "egress"}
        assert egress == {"IPv4", "IPv6"}
    finally:
        member_cloud.network.delete_security_group(group)
        member_cloud.network.delete_network(network)


def test_heat_builds_and_deletes_a_stack(member_cloud):
    template = {
        "heat_template_version": "2018-08-31",
        "resources": {"group": {"type": "OS::Neutron::SecurityGroup",
                                "properties": {"rules": [{"protocol": "tcp", "port_range_min": 22,
                                                          "port_range_max": 22}]}}},
    }
    stack = member_cloud.orchestration.create_stack(name=unique("lc-stack"), template=template)
    try:
        stack = member_cloud.orchestration.wait_for_status(stack, "CREATE_COMPLETE", failures=["CREATE_FAILED"],
                                                           interval=1, wait=120)
        resources = list(member_cloud.orchestration.resources(stack))
        group = member_cloud.network.get_security_group(resources[0].physical_resource_id)
        assert any(rule["port_range_min"] == 22 for rule in group.security_group_rules)
    finally:
        member_cloud.orchestration.delete_stack(stack)
        member_cloud.orchestration.wait_for_delete(stack, interval=1, wait=120)


def test_cluster_template_through_openstacksdk(cloud):
    coe = cloud.container_infrastructure_management
    template = coe.create_cluster_template(**template_fields(unique("lc-sdk")), labels={"kube_tag": "v1.30.4"})
    try:
        found = coe.get_cluster_template(template.id)
        assert found.coe == "kubernetes"
        assert found.image_id == "fedora-coreos-40"
        assert found.labels == {"kube_tag": "v1.30.4"}
        assert found.dns_nameserver == "193.166.4.25"
    finally:
        coe.delete_cluster_template(template)
    assert coe.find_cluster_template(template.id) is None


def test_cluster_template_through_magnumclient(magnum):
    name = unique("lc-mc")
    template = magnum.cluster_templates.create(
        name=name, coe="kubernetes", image_id="Fedora-Atomic-25", external_network_id="public",
        keypair_id=seed.KEYPAIR, flavor_id="io.70GB", master_flavor_id="io.70GB", network_driver="flannel",
        volume_driver="cinder", dns_nameserver="193.166.4.25")
    try:
        assert magnum.cluster_templates.get(name).uuid == template.uuid
        assert template.volume_driver == "cinder"
    finally:
        magnum.cluster_templates.delete(template.uuid)


def test_member_creates_a_private_template_but_not_a_public_one(member_magnum):
    template = member_magnum.cluster_templates.create(**template_fields(unique("lc-member")))
    try:
        assert template.public is False
    finally:
        member_magnum.cluster_templates.delete(template.uuid)
    with pytest.raises(magnum_exceptions.Forbidden):
        member_magnum.cluster_templates.create(**template_fields(unique("lc-public")), public=True)


def test_catalog_lists_cinder_as_block_storage_and_volumev3(cloud):
    catalog = {entry["type"]: entry for entry in cloud.service_catalog}
    for service_type in ("block-storage", "volumev3"):
        public = [e for e in catalog[service_type]["endpoints"] if e["interface"] == "public"]
        assert urlsplit(public[0]["url"]).port == config.CATALOG_PORTS["cinder"]
        assert public[0]["url"].endswith(f"/v3/{cloud.current_project_id}")
    assert cloud.block_storage.get_endpoint().startswith(config.catalog_url("cinder"))


def test_volume_types_and_zone_are_seeded(member_cloud):
    names = {volume_type.name for volume_type in member_cloud.block_storage.types()}
    assert {name for name, _ in seed.VOLUME_TYPES} <= names
    zones = [(zone.name, zone.state["available"]) for zone in member_cloud.block_storage.availability_zones()]
    assert zones == [("nova", True)]


def test_member_creates_and_deletes_volumes_of_the_default_and_fast_types(member_cloud):
    default = member_cloud.block_storage.create_volume(name=unique("lc-vol"), size=1)
    fast = member_cloud.block_storage.create_volume(name=unique("lc-vol"), size=2, volume_type="fast",
                                                    availability_zone="nova")
    try:
        for volume in (default, fast):
            member_cloud.block_storage.wait_for_status(volume, "available", failures=["error"], interval=0.5,
                                                       wait=60)
        default, fast = (member_cloud.block_storage.get_volume(volume.id) for volume in (default, fast))
        assert (default.volume_type, default.availability_zone, default.size) == ("standard", "nova", 1)
        assert (fast.volume_type, fast.size) == ("fast", 2)
        assert default.project_id == member_cloud.current_project_id
    finally:
        for volume in (default, fast):
            member_cloud.block_storage.delete_volume(volume, ignore_missing=True)
    for volume in (default, fast):
        member_cloud.block_storage.wait_for_delete(volume, interval=0.5, wait=60)
    with pytest.raises(openstack.exceptions.NotFoundException):
        member_cloud.block_storage.get_volume(default.id)


def test_unknown_volume_type_is_refused(member_cloud):
    with pytest.raises(openstack.exceptions.NotFoundException, match="Volume type with name no-such-type"):
        member_cloud.block_storage.create_volume(name=unique("lc-vol"), size=1, volume_type="no-such-type")


def test_magnum_advertises_resize_and_upgrade_microversions(cloud):
    from conftest import magnum_max_version

    major, minor = (int(part) for part in magnum_max_version(cloud).split("."))
    assert (major, minor) >= (1, 8)


def test_status_reports_every_service_up_with_a_pid():
    rows = status_table()
    expected = {"postgres", "rabbitmq", "keystone", "glance", "nova", "neutron", "heat-api", "heat-engine",
                "magnum-api", "magnum-conductor", "cinder-api", "cinder-scheduler", "cinder-volume", "proxy"}
    assert expected <= set(rows)
    assert {name: rows[name][0] for name in expected} == {name: "up" for name in expected}
    assert all(rows[name][1].isdigit() for name in expected)


def test_up_again_starts_nothing_and_keeps_every_process():
    before = status_table()
    result = run_localcloud("up")
    assert result.returncode == 0, result.stderr
    assert "started: nothing" in result.stdout
    assert status_table() == before


def test_env_prints_the_exports_that_reach_the_cloud(localcloud_paths):
    lines = run_localcloud("env").stdout.splitlines()
    assert f"export OS_CLIENT_CONFIG_FILE={localcloud_paths.clouds_yaml}" in lines
    assert "export OS_CLOUD=localcloud" in lines
    exported = dict(re.match(r"export (\w+)=(.*)", line).groups() for line in lines)
    config_ = openstack.config.OpenStackConfig(config_files=[exported["OS_CLIENT_CONFIG_FILE"]])
    conn = openstack.connection.Connection(config=config_.get_one(cloud=exported["OS_CLOUD"]))
    assert conn.current_project_id == conn.identity.find_project(config.ADMIN_PROJECT).id
