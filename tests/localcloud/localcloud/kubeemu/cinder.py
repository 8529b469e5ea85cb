"""The cluster's way to Cinder: what cinder-csi-plugin's controller (and the in-tree plugin) ask of the cloud.

Volumes are created, waited for and deleted through the real Cinder API, as the cluster's cloud credentials
(a clouds.yaml entry). The calls run in worker threads: the controllers hold the API server's lock and must
never wait on the network.
"""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

LOG = logging.getLogger(__name__)
# cinder-csi-plugin writes this key (its --cluster flag) into the metadata of every volume it creates.
CLUSTER_METADATA = "cinder.csi.openstack.org/cluster"
AVAILABLE, ERROR = "available", "error"


class CinderError(Exception):
    """A failed Cinder call, worded as the Go client (gophercloud) of the CSI plugin words it."""


def _http_message(error, method, expected):
    response = getattr(error, "response", None)
    if response is None:
        return str(error)
    body = " ".join((response.text or "").split())
    return (f"Expected HTTP response code [{expected}] when accessing [{method} {response.request.url}], "
            f"but got {response.status_code} instead: {body}")


class Cinder:
    """Volumes of one cluster in one project, through openstacksdk; each call returns a Future."""

    def __init__(self, cloud, cluster_id, wait_timeout=120.0, poll_interval=0.5):
        self.cloud = cloud
        self.cluster_id = cluster_id
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cinder")
        self._connection = None
        self._connect_lock = threading.Lock()

    def _conn(self):
        with self._connect_lock:
            if self._connection is None:
                import openstack  # the emulator runs without openstacksdk when no cloud is configured

                self._connection = openstack.connect(cloud=self.cloud)
            return self._connection

    def create(self, name, size_gib, volume_type=None, zone=None):
        return self._pool.submit(self._create, name, size_gib, volume_type, zone)

    def delete(self, volume_id):
        return self._pool.submit(self._delete, volume_id)

    def extend(self, volume_id, size_gib):
        return self._pool.submit(self._extend, volume_id, size_gib)

    def _create(self, name, size_gib, volume_type, zone):
        """The volume's ID once it is available; as the CSI plugin does, a volume of that name is reused."""
        from openstack import exceptions

        conn = self._conn()
        existing = [volume for volume in conn.block_storage.volumes(name=name)
                    if (volume.metadata or {}).get(CLUSTER_METADATA) == self.cluster_id]
        if existing:
            volume = existing[0]
        else:
            attributes = {"name": name, "size": size_gib,
                          "description": f"Created by OpenStack Cinder CSI driver for cluster {self.cluster_id}",
                          "metadata": {CLUSTER_METADATA: self.cluster_id}}
            if volume_type:
                attributes["volume_type"] = volume_type
            if zone:
                attributes["availability_zone"] = zone
            try:
                volume = conn.block_storage.create_volume(**attributes)
            except exceptions.HttpException as error:
                raise CinderError(_http_message(error, "POST", 202)) from error
        volume = self._wait_available(conn, volume)
        LOG.info("volume %s (%s) available: %s GiB, type %s, zone %s", volume.id, name, volume.size,
                 volume.volume_type, volume.availability_zone)
        return volume.id

    def _wait_available(self, conn, volume, size_gib=None):
        deadline = time.monotonic() + self.wait_timeout
        while volume.status != AVAILABLE or (size_gib and volume.size < size_gib):
            if volume.status.startswith(ERROR):
                raise CinderError(f"volume {volume.id} is in {volume.status} state")
            if time.monotonic() > deadline:
                raise CinderError(f"volume {volume.id} did not become available in time (status {volume.status})")
            time.sleep(self.poll_interval)
            volume = conn.block_storage.get_volume(volume.id)
        return volume

    def _extend(self, volume_id, size_gib):
        """Grow the volume (cinder-csi-plugin's ControllerExpandVolume) and wait until Cinder reports the size."""
        from openstack import exceptions

        conn = self._conn()
        volume = conn.block_storage.get_volume(volume_id)
        if volume.size < size_gib:
            try:
                conn.block_storage.extend_volume(volume, size_gib)
            except exceptions.HttpException as error:
                raise CinderError(_http_message(error, "POST", 202)) from error
            self._wait_available(conn, conn.block_storage.get_volume(volume_id), size_gib)
        LOG.info("volume %s extended to %s GiB", volume_id, size_gib)

    def _delete(self, volume_id):
        """Delete the volume and wait until Cinder no longer lists it; a volume already gone is deleted."""
        from openstack import exceptions

        conn = self._conn()
        try:
            conn.block_storage.delete_volume(volume_id, ignore_missing=True)
            conn.block_storage.wait_for_delete(conn.block_storage.get_volume(volume_id),
                                               interval=self.poll_interval, wait=self.wait_timeout)
        except exceptions.NotFoundException:
            pass
        except exceptions.HttpException as error:
            raise CinderError(_http_message(error, "DELETE", 202)) from error
        LOG.info("volume %s deleted", volume_id)

    def shutdown(self):
        self._pool.shutdown(wait=False, cancel_futures=True)
