"""The Cinder volumes behind a cluster's claims, read with openstacksdk (OS_CLOUD selects the cloud).

    volumes.py show VOLUME_ID             the volume as Cinder holds it ({} when there is none)
    volumes.py list VOLUME_ID [...]       the same for each volume, as a list in the order given

The target compares them with what coe_storage reports, so that "Bound" means a real Cinder volume.
"""

import json
import sys

import openstack


def show(conn, volume_id):
    volume = conn.block_storage.find_volume(volume_id, ignore_missing=True)
    if volume is None:
        return {}
    return {'id': volume.id, 'name': volume.name, 'status': volume.status, 'size': volume.size,
            'volume_type': volume.volume_type, 'availability_zone': volume.availability_zone,
            'metadata': volume.metadata or {}}


def show_each(conn, *volume_ids):
    return [show(conn, volume_id) for volume_id in volume_ids]


def main():
    command, arguments = sys.argv[1], sys.argv[2:]
    handler = {'show': show, 'list': show_each}[command]
    json.dump(handler(openstack.connect(), *arguments), sys.stdout)


if __name__ == '__main__':
    main()
