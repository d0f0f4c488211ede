"""``/servers/{id}/os-volume_attachments``: list, show, attach (``openstack server add
volume``) and detach (``server remove volume``) a server's volumes. An attachment is
named by its volume's id, as in Nova before 2.89."""
import falcon

from controller.api import errors
from controller.compute.api import common
from controller.compute.operations import volume_attachments as attachments

ATTACH = {
    "type": "object",
    "properties": {"volumeAttachment": {
        "type": "object",
        "properties": {
            "volumeId": common.UUID,
            "device": {"type": ["string", "null"], "maxLength": 255},
            "tag": {"type": "string", "minLength": 1, "maxLength": 60},
            "delete_on_termination": common.BOOLEAN},
        "required": ["volumeId"],
        "additionalProperties": False}},
    "required": ["volumeAttachment"],
    "additionalProperties": False,
}

# Request fields that exist only from a microversion on.
_FIELDS_FROM = {"tag": (2, 49), "delete_on_termination": (2, 79)}


def view(bdm, server_id, version):
    body = {"id": bdm.volume_id, "serverId": server_id, "volumeId": bdm.volume_id,
            "device": bdm.device_name}
    if version >= (2, 70):
        body["tag"] = bdm.tag
    if version >= (2, 79):
        body["delete_on_termination"] = bdm.delete_on_termination
    return body


def _authorizer(req, rule):
    return common.authorizer(req.context.auth, f"os_compute_api:os-volumes-attachments:{rule}")


class _Resource:
    def __init__(self, svc):
        self.svc = svc
        self.attachments = attachments.VolumeAttachments(svc)


class VolumeAttachments(_Resource):
    def on_get(self, req, resp, server_id):
        bdms = self.attachments.list(req.context.auth, server_id, _authorizer(req, "index"))
        offset = common.to_int(req.get_param("offset") or 0, "offset")
        limit, _ = common.page_params(req, self.svc.conf.compute.max_limit)
        page = bdms[offset:offset + limit]
        resp.media = {"volumeAttachments": [view(bdm, bdm.instance_uuid,
                                                 req.context.microversion)
                                            for bdm in page]}

    def on_post(self, req, resp, server_id):
        spec = common.body(req, ATTACH)["volumeAttachment"]
        version = req.context.microversion
        for field, since in _FIELDS_FROM.items():
            if field in spec and version < since:
                raise errors.BadRequest(
                    f"Invalid input for field/attribute volumeAttachment. Additional "
                    f"properties are not allowed ('{field}' was unexpected)")
        bdm = self.attachments.attach(
            req.context.auth, req.context.request_id, server_id, spec["volumeId"],
            _authorizer(req, "create"), device=spec.get("device"), tag=spec.get("tag"),
            delete_on_termination=common.to_bool(spec.get("delete_on_termination", False)))
        resp.media = {"volumeAttachment": view(bdm, bdm.instance_uuid, version)}


class VolumeAttachment(_Resource):
    def on_get(self, req, resp, server_id, volume_id):
        bdm = self.attachments.get(req.context.auth, server_id, volume_id,
                                   _authorizer(req, "show"))
        resp.media = {"volumeAttachment": view(bdm, bdm.instance_uuid,
                                               req.context.microversion)}

    def on_delete(self, req, resp, server_id, volume_id):
        self.attachments.detach(req.context.auth, req.context.request_id, server_id,
                                volume_id, _authorizer(req, "delete"))
        resp.status = falcon.HTTP_202
