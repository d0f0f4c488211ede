"""``/os-volumes`` and ``/os-snapshots`` (Nova's proxies to the block storage service,
microversions 2.1 to 2.35; 404 after): list, show, create and delete volumes and their
snapshots in Nova's camelCase view, with ``offset``/``limit`` paging."""
import falcon

from controller import policy
from controller.api import errors
from controller.compute.api import common
from controller.compute.operations.volume_proxy import VolumeProxy

PROXY_UNTIL = (2, 35)
_SIZE = {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1}
CREATE_VOLUME = {
    "type": "object",
    "properties": {"volume": {
        "type": "object",
        "properties": {"volume_type": {"type": "string"},
                       "metadata": {"type": "object"},
                       "snapshot_id": {"type": "string"}, "size": _SIZE,
                       "availability_zone": {"type": "string"},
                       "display_name": {"type": "string"},
                       "display_description": {"type": "string"}},
        "required": ["size"], "additionalProperties": False}},
    "required": ["volume"], "additionalProperties": False}
CREATE_SNAPSHOT = {
    "type": "object",
    "properties": {"snapshot": {
        "type": "object",
        "properties": {"volume_id": {"type": "string"}, "force": common.BOOLEAN,
                       "display_name": {"type": "string"},
                       "display_description": {"type": "string"}},
        "required": ["volume_id"], "additionalProperties": False}},
    "required": ["snapshot"], "additionalProperties": False}


def _check_version(req):
    if req.context.microversion > PROXY_UNTIL:
        raise errors.NotFound("The resource could not be found.")


def volume_view(volume):
    """Nova's view of a Cinder volume: its first attachment (or ``[{}]``)."""
    attachments = volume.get("attachments") or []
    if attachments:
        first = attachments[0]
        attached = {"id": volume["id"], "volumeId": volume["id"],
                    "serverId": first.get("server_id")}
        if first.get("device"):
            attached["device"] = first["device"]
        attachments = [attached]
    else:
        attachments = [{}]
    return {"id": volume["id"], "status": volume["status"], "size": volume["size"],
            "availabilityZone": volume.get("availability_zone"),
            "createdAt": volume.get("created_at"), "attachments": attachments,
            "displayName": volume.get("name"),
            "displayDescription": volume.get("description"),
            "volumeType": volume.get("volume_type"),
            "snapshotId": volume.get("snapshot_id"),
            "metadata": volume.get("metadata") or {}}


def snapshot_view(snapshot):
    return {"id": snapshot["id"], "volumeId": snapshot["volume_id"],
            "status": snapshot["status"], "size": snapshot["size"],
            "createdAt": snapshot.get("created_at"),
            "displayName": snapshot.get("name"),
            "displayDescription": snapshot.get("description")}


def limited(req, items, max_limit):
    """Nova's ``offset``/``limit`` paging of the proxies' lists."""
    offset = common.to_int(req.get_param("offset") or 0, "offset")
    limit = common.to_int(req.get_param("limit") or 0, "limit")
    limit = min(max_limit, limit or max_limit)
    return items[offset:offset + limit]


class _Proxy:
    def __init__(self, svc):
        self.svc = svc
        self.proxy = VolumeProxy(svc)

    def authorize(self, req, rule):
        _check_version(req)
        policy.authorize(req.context.auth, f"os_compute_api:os-volumes:{rule}")
        return req.context.auth.token


class Volumes(_Proxy):
    def on_get(self, req, resp):
        token = self.authorize(req, "list")
        resp.media = {"volumes": [volume_view(v) for v in limited(
            req, self.proxy.volumes(token), self.svc.conf.compute.max_limit)]}

    def on_post(self, req, resp):
        _check_version(req)
        spec = common.body(req, CREATE_VOLUME)["volume"]
        token = self.authorize(req, "create")
        volume = self.proxy.create_volume(
            token, common.to_int(spec["size"], "size", minimum=1),
            name=spec.get("display_name"), description=spec.get("display_description"),
            volume_type=spec.get("volume_type"), metadata=spec.get("metadata"),
            availability_zone=spec.get("availability_zone"),
            snapshot_id=spec.get("snapshot_id"))
        resp.set_header("Location", common.url(req, f"/os-volumes/{volume['id']}"))
        resp.media = {"volume": volume_view(volume)}


class VolumesDetail(_Proxy):
    def on_get(self, req, resp):
        token = self.authorize(req, "detail")
        resp.media = {"volumes": [volume_view(v) for v in limited(
            req, self.proxy.volumes(token), self.svc.conf.compute.max_limit)]}


class Volume(_Proxy):
    def on_get(self, req, resp, volume_id):
        token = self.authorize(req, "show")
        resp.media = {"volume": volume_view(self.proxy.volume(token, volume_id))}

    def on_delete(self, req, resp, volume_id):
        token = self.authorize(req, "delete")
        self.proxy.delete_volume(token, volume_id)
        resp.status = falcon.HTTP_202


class Snapshots(_Proxy):
    def on_get(self, req, resp):
        token = self.authorize(req, "snapshots:list")
        resp.media = {"snapshots": [snapshot_view(s) for s in limited(
            req, self.proxy.snapshots(token), self.svc.conf.compute.max_limit)]}

    def on_post(self, req, resp):
        _check_version(req)
        spec = common.body(req, CREATE_SNAPSHOT)["snapshot"]
        token = self.authorize(req, "snapshots:create")
        snapshot = self.proxy.create_snapshot(
            token, spec["volume_id"], force=common.to_bool(spec.get("force", False)),
            name=spec.get("display_name"), description=spec.get("display_description"))
        resp.media = {"snapshot": snapshot_view(snapshot)}


class SnapshotsDetail(_Proxy):
    def on_get(self, req, resp):
        token = self.authorize(req, "snapshots:detail")
        resp.media = {"snapshots": [snapshot_view(s) for s in limited(
            req, self.proxy.snapshots(token), self.svc.conf.compute.max_limit)]}


class Snapshot(_Proxy):
    def on_get(self, req, resp, snapshot_id):
        token = self.authorize(req, "snapshots:show")
        resp.media = {"snapshot": snapshot_view(self.proxy.snapshot(token, snapshot_id))}

    def on_delete(self, req, resp, snapshot_id):
        token = self.authorize(req, "snapshots:delete")
        self.proxy.delete_snapshot(token, snapshot_id)
        resp.status = falcon.HTTP_202
