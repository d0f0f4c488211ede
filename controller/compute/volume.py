"""The compute API's side of the block storage service (Cinder v3 over HTTP, with the
caller's token): it checks volumes, reserves them for servers and, when a server is
deleted while its agent is away, ends their attachments itself.

The agent of the server's host does the rest (exporting, plugging, completing, making a
root volume from an image) with ``contract.clients.volume.VolumeClient``.
"""
import logging

from contract import exception
from contract.clients.volume import API_VERSION, fault_message, volume_endpoint
from controller.compute.siblings import SiblingClient

LOG = logging.getLogger(__name__)


class VolumeNotFound(exception.ComputeError):
    code = 404


def _message(resp):
    return fault_message(resp, "The volume service")


class VolumeAPI:
    def __init__(self, runtime):
        conf = runtime.conf
        self.client = SiblingClient(runtime, volume_endpoint(conf),
                                    conf.compute.service_timeout, "volume")

    def _request(self, method, path, token, json=None):
        return self.client.request(method, path, token, json=json,
                                   headers={"OpenStack-API-Version": API_VERSION})

    def get(self, token, volume_id):
        """The volume as the caller sees it; VolumeNotFound if they cannot."""
        resp = self._request("GET", f"/volumes/{volume_id}", token)
        if resp.status_code == 404:
            raise VolumeNotFound(f"Volume {volume_id} could not be found.")
        if resp.status_code != 200:
            raise exception.ServiceUnavailable(_message(resp))
        return resp.json()["volume"]

    def get_bootable(self, token, volume_id):
        """The volume a server is to boot from: it must be available and bootable (made
        from an image or marked so)."""
        try:
            volume = self.get(token, volume_id)
        except VolumeNotFound:
            raise exception.InvalidRequest(f"Block Device Mapping is Invalid: failed to "
                                           f"get volume {volume_id}.") from None
        if volume["status"] != "available":
            raise exception.InvalidRequest(f"Invalid volume: volume {volume_id} is "
                                           f"{volume['status']}, not available.")
        if str(volume.get("bootable")).lower() != "true":
            raise exception.InvalidRequest(f"Block Device Mapping is Invalid: Volume "
                                           f"{volume_id} is not bootable.")
        return volume

    def reserve(self, token, volume_id, instance_uuid):
        """Reserve the volume for the server (Cinder refuses one that is not available);
        returns the attachment id."""
        resp = self._request("POST", "/attachments", token, json={"attachment": {
            "volume_uuid": volume_id, "instance_uuid": instance_uuid}})
        if resp.status_code == 404:
            raise VolumeNotFound(f"Volume {volume_id} could not be found.")
        if resp.status_code == 400:
            raise exception.InvalidRequest(f"Invalid volume: {_message(resp)}")
        if resp.status_code != 200:
            raise exception.ServiceUnavailable(_message(resp))
        return resp.json()["attachment"]["id"]

    def delete_attachment(self, token, attachment_id):
        """End an attachment (the volume becomes available); one already gone is fine."""
        resp = self._request("DELETE", f"/attachments/{attachment_id}", token)
        if resp.status_code not in (200, 202, 204, 404):
            raise exception.ServiceUnavailable(_message(resp))

    def delete_volume(self, token, volume_id):
        resp = self._request("DELETE", f"/volumes/{volume_id}", token)
        if resp.status_code not in (202, 204, 404):
            raise exception.ServiceUnavailable(_message(resp))

    def release(self, token, block_devices):
        """End the attachments of a deleted server's volumes and delete the volumes it
        was to take along (``delete_on_termination``). ``block_devices`` are
        (volume_id, attachment_id, delete_on_termination); failures are logged, the
        server stays deleted."""
        for volume_id, attachment_id, delete_on_termination in block_devices:
            try:
                if attachment_id:
                    self.delete_attachment(token, attachment_id)
                if delete_on_termination and volume_id:
                    self.delete_volume(token, volume_id)
            except exception.ComputeError:
                LOG.exception("Releasing volume %s of a deleted server failed", volume_id)
