"""The calls compute makes to the volume API to attach a volume, with the user's token
(Cinder's v3 attachments API, as Nova makes them):

    attachment_id = client.reserve(token, volume_id, instance_uuid)   # volume: reserved
    info = client.connect(token, attachment_id, nbd.connector(host))  # exported
    ... attach nbd.disk_xml(info, "vdb", serial=volume_id) to the domain ...
    client.complete(token, attachment_id)                              # volume: in-use
    ... detach the disk from the domain ...
    client.detach(token, attachment_id)                                # volume: available

If plugging the disk fails, ``detach`` undoes the attachment the same way.
"""
from conf.api import public_url
from contract.clients.base import ClientError, HTTPClient

API_VERSION = "volume 3.44"


def volume_endpoint(conf):
    """The block storage API compute talks to, from the API and from the agents alike."""
    return conf.compute.volume_endpoint or public_url(conf) + "/volume/v3"


class VolumeError(ClientError):
    """The volume API refused or failed; the message is its own."""


class VolumeClient(HTTPClient):
    error = VolumeError
    service_name = "Volume service"

    def __init__(self, endpoint, timeout=60.0):
        """``endpoint``: the block-storage endpoint without project, e.g.
        ``http://controller:5000/volume/v3``. Each call passes the token to act with."""
        super().__init__(endpoint, timeout=timeout,
                         headers={"OpenStack-API-Version": API_VERSION})

    def reserve(self, token, volume_id, instance_uuid):
        """Reserve the volume for the instance; returns the attachment id."""
        body = {"attachment": {"volume_uuid": volume_id, "instance_uuid": instance_uuid}}
        return self._call("POST", token, "/attachments", body)["attachment"]["id"]

    def connect(self, token, attachment_id, connector):
        """Export the volume to the host described by ``connector``; returns the
        ``connection_info`` to build the guest's disk from."""
        body = {"attachment": {"connector": connector}}
        return self._call("PUT", token, f"/attachments/{attachment_id}",
                          body)["attachment"]["connection_info"]

    def complete(self, token, attachment_id):
        """The guest has the disk: mark the volume in use."""
        self._call("POST", token, f"/attachments/{attachment_id}/action",
                   {"os-complete": None})

    def detach(self, token, attachment_id):
        """End the attachment (after the disk left the guest) and its export."""
        self._call("DELETE", token, f"/attachments/{attachment_id}")

    def get_volume(self, token, volume_id):
        return self._call("GET", token, f"/volumes/{volume_id}")["volume"]

    def create_volume(self, token, size, image_id=None, name=None):
        """Start making a volume (from the image, if given); returns it, ``creating``."""
        body = {"size": size, "name": name}
        if image_id:
            body["imageRef"] = image_id
        return self._call("POST", token, "/volumes", {"volume": body})["volume"]

    def delete_volume(self, token, volume_id):
        self._call("DELETE", token, f"/volumes/{volume_id}")

    def _call(self, method, token, path, body=None):
        resp = self.request(method, path, token, json=body)
        return resp.json() if resp.content else None

    def fault(self, response):
        return (fault_message(response), response.status_code)


def fault_message(resp, service="Volume service"):
    """The message of a Cinder fault body ``{"badRequest": {"message": ...}}``."""
    try:
        (fault,) = resp.json().values()
        return fault["message"]
    except (ValueError, TypeError, KeyError, AttributeError):
        return f"{service} answered {resp.status_code}: {resp.text[:200]}"
