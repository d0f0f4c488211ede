"""Compute's block storage proxies (``os-volumes``, ``os-snapshots``, to microversion
2.35): volumes and snapshots as the caller sees them in the block storage service, asked
with the caller's token, as Nova's cinder-backed proxies do."""
from contract.clients.volume import fault_message
from controller.api import errors


def _fail(resp, what):
    """The block storage service's refusal as Nova's proxy answers it."""
    if resp.status_code == 404:
        raise errors.NotFound(f"{what} could not be found.")
    message = fault_message(resp, "The volume service")
    if resp.status_code == 400:
        raise errors.BadRequest(message)
    if resp.status_code in (403, 413):
        raise errors.Forbidden(message)
    raise errors.ServiceUnavailable(message)


class VolumeProxy:
    def __init__(self, svc):
        self.service = svc.volume

    def _call(self, method, path, token, what, json=None, ok=(200, 202)):
        resp = self.service._request(method, path, token, json=json)
        if resp.status_code not in ok:
            _fail(resp, what)
        return resp.json() if resp.text else None

    def volumes(self, token):
        return self._call("GET", "/volumes/detail", token, "Volumes")["volumes"]

    def volume(self, token, volume_id):
        return self._call("GET", f"/volumes/{volume_id}", token,
                          f"Volume {volume_id}")["volume"]

    def create_volume(self, token, size, name=None, description=None, volume_type=None,
                      metadata=None, availability_zone=None, snapshot_id=None):
        if snapshot_id is not None:
            snapshot = self.snapshot(token, snapshot_id)
            size = size or snapshot["size"]
        body = {"size": size, "name": name, "description": description,
                "volume_type": volume_type, "metadata": metadata or {},
                "availability_zone": availability_zone, "snapshot_id": snapshot_id}
        return self._call("POST", "/volumes", token, "Volume",
                          json={"volume": {k: v for k, v in body.items()
                                           if v is not None}})["volume"]

    def delete_volume(self, token, volume_id):
        self._call("DELETE", f"/volumes/{volume_id}", token, f"Volume {volume_id}",
                   ok=(202, 204))

    def snapshots(self, token):
        return self._call("GET", "/snapshots/detail", token, "Snapshots")["snapshots"]

    def snapshot(self, token, snapshot_id):
        return self._call("GET", f"/snapshots/{snapshot_id}", token,
                          f"Snapshot {snapshot_id}")["snapshot"]

    def create_snapshot(self, token, volume_id, force=False, name=None, description=None):
        body = {"volume_id": volume_id, "force": force, "name": name,
                "description": description}
        return self._call("POST", "/snapshots", token, f"Volume {volume_id}",
                          json={"snapshot": {k: v for k, v in body.items()
                                             if v is not None}})["snapshot"]

    def delete_snapshot(self, token, snapshot_id):
        self._call("DELETE", f"/snapshots/{snapshot_id}", token, f"Snapshot {snapshot_id}",
                   ok=(202, 204))
