"""``/servers/{id}/os-volume_attachments``: list, show, attach (``openstack server add
volume``) and detach (``server remove volume``) a server's volumes. An attachment is
named by its volume's id, as in Nova before 2.89."""
import falcon

from controller import policy
from controller.api import errors
from controller.compute import block_devices
from controller.compute import volume_attachments as attachments
from controller.compute.api import common

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


def _volume_bdms(instance):
    return [bdm for bdm in instance.block_device_mappings
            if bdm.destination_type == block_devices.VOLUME and bdm.volume_id]


class _Resource:
    def __init__(self, svc):
        self.svc = svc

    def _instance(self, req, server_id, rule):
        auth = req.context.auth
        with self.svc.db.session() as session:
            instance = common.visible_instance(session, auth, server_id)
        policy.authorize(auth, f"os_compute_api:os-volumes-attachments:{rule}",
                         {"project_id": instance.project_id})
        return instance


class VolumeAttachments(_Resource):
    def on_get(self, req, resp, server_id):
        instance = self._instance(req, server_id, "index")
        offset = common.to_int(req.get_param("offset") or 0, "offset")
        limit, _ = common.page_params(req, self.svc.conf.compute.max_limit)
        page = _volume_bdms(instance)[offset:offset + limit]
        resp.media = {"volumeAttachments": [view(bdm, instance.uuid, req.context.microversion)
                                            for bdm in page]}

    def on_post(self, req, resp, server_id):
        spec = common.body(req, ATTACH)["volumeAttachment"]
        version = req.context.microversion
        for field, since in _FIELDS_FROM.items():
            if field in spec and version < since:
                raise errors.BadRequest(
                    f"Invalid input for field/attribute volumeAttachment. Additional "
                    f"properties are not allowed ('{field}' was unexpected)")
        instance = self._instance(req, server_id, "create")
        bdm = attachments.VolumeAttachments(self.svc).attach(
            req.context.auth, req.context.request_id, instance.uuid, spec["volumeId"],
            device=spec.get("device"), tag=spec.get("tag"),
            delete_on_termination=common.to_bool(spec.get("delete_on_termination", False)))
        resp.media = {"volumeAttachment": view(bdm, instance.uuid, version)}


class VolumeAttachment(_Resource):
    def on_get(self, req, resp, server_id, volume_id):
        instance = self._instance(req, server_id, "show")
        bdm = attachments.find(instance, volume_id)
        resp.media = {"volumeAttachment": view(bdm, instance.uuid, req.context.microversion)}

    def on_delete(self, req, resp, server_id, volume_id):
        instance = self._instance(req, server_id, "delete")
        attachments.VolumeAttachments(self.svc).detach(
            req.context.auth, req.context.request_id, instance.uuid, volume_id)
        resp.status = falcon.HTTP_202
