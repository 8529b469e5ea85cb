#!/usr/bin/env python
"""What the cloud has, read with openstacksdk directly: the cross-check of magnum_cloud_info's survey.

    cloud_facts.py     prints images (os_distro), flavors, external networks, catalog types, compute quotas,
                       Cinder's volume types and zones
"""

import json

import openstack


def main():
    cloud = openstack.connect()
    project = cloud.current_project_id
    quota = cloud.compute.get_quota_set(project)
    catalog = sorted(entry['type'] for entry in cloud.service_catalog)
    cinder = 'block-storage' in catalog or 'volumev3' in catalog
    json.dump({
        'volume_types': sorted(volume_type.name for volume_type in cloud.block_storage.types()) if cinder else [],
        'volume_zones': sorted(zone.name for zone in cloud.block_storage.availability_zones()) if cinder else [],
        'images': {image.name: image.os_distro for image in cloud.image.images()},
        'flavors': {flavor.name: [flavor.vcpus, flavor.ram, flavor.disk] for flavor in cloud.compute.flavors()},
        'external_networks': sorted(net.name for net in cloud.network.networks(is_router_external=True)),
        'catalog': catalog,
        'instances': quota.instances,
    }, __import__('sys').stdout)


if __name__ == '__main__':
    main()
