"""``POST /v3/{project_id}/volumes/{id}/action``: one action per body, named by its only
key; each validated by its schema and handed to one operation."""
import falcon

from controller.api import errors
from controller.db.base import isotime
from controller.volume.api import common, schemas, views

_none = {"type": ["object", "null"]}

# Most actions answer 202 without a body (a handler returning None); the others return
# (status, body or None).
OK_NO_BODY = (falcon.HTTP_200, None)

ARGUMENTS = {
    "os-extend": schemas.EXTEND,
    "os-reset_status": schemas.RESET_STATUS,
    "os-set_bootable": {"type": "object", "required": ["bootable"],
                        "properties": {"bootable": schemas.BOOL}},
    "os-force_delete": _none,
    "os-update_readonly_flag": {"type": "object", "required": ["readonly"],
                                "properties": {"readonly": schemas.BOOL}},
    "os-retype": {"type": "object", "required": ["new_type"],
                  "properties": {"new_type": {"type": "string", "minLength": 1,
                                              "maxLength": 255},
                                 "migration_policy": {"enum": ["never", "on-demand",
                                                               None]}}},
    "os-set_image_metadata": {"type": "object", "required": ["metadata"],
                              "properties": {"metadata": {**schemas.METADATA_VALUES,
                                                          "type": "object"}}},
    "os-unset_image_metadata": {"type": "object", "required": ["key"],
                                "properties": {"key": {"type": "string", "minLength": 1,
                                                       "maxLength": 255}}},
    "os-show_image_metadata": _none,
    "os-reserve": _none,
    "os-unreserve": _none,
    "os-begin_detaching": _none,
    "os-roll_detaching": _none,
    "os-attach": {"type": "object", "required": ["mountpoint"],
                  "anyOf": [{"required": ["instance_uuid"]}, {"required": ["host_name"]}],
                  "properties": {"instance_uuid": {"type": ["string", "null"],
                                                   "maxLength": 36},
                                 "host_name": {"type": ["string", "null"],
                                               "maxLength": 255},
                                 "mountpoint": {"type": "string", "maxLength": 255},
                                 "mode": {"enum": ["rw", "ro"]}}},
    "os-volume_upload_image": {
        "type": "object", "required": ["image_name"],
        "properties": {"image_name": {"type": "string", "minLength": 1, "maxLength": 255},
                       "disk_format": {"type": "string"},
                       "container_format": {"enum": ["bare"]},
                       "force": schemas.BOOL,
                       "visibility": {"enum": ["public", "private", "shared",
                                               "community"]},
                       "protected": schemas.BOOL}},
    "os-detach": {"type": ["object", "null"],
                  "properties": {"attachment_id": {"type": ["string", "null"],
                                                   "maxLength": 36}}},
    "os-force_detach": {"type": ["object", "null"],
                        "properties": {"attachment_id": {"type": ["string", "null"],
                                                         "maxLength": 36},
                                       "connector": {"type": ["object", "null"]}}},
}


class VolumeAction:
    def __init__(self, manager, actions, uploads):
        self.manager = manager
        self.actions = actions
        self.uploads = uploads

    def on_post(self, req, resp, volume_id):
        body = common.media(req)
        if not isinstance(body, dict) or len(body) != 1:
            raise errors.BadRequest("The action body must be an object with one action.")
        (action, args), = body.items()
        if action not in ARGUMENTS:
            raise errors.BadRequest(f"Volume action {action!r} is not supported.")
        schemas.validate(body, {"type": "object", "properties": {action: ARGUMENTS[action]}})
        args = args or {}
        handler = getattr(self, "_" + action.removeprefix("os-"))
        resp.status, body = handler(req.context.auth, volume_id, args) or (falcon.HTTP_202,
                                                                          None)
        if body is not None:
            resp.media = body

    def _extend(self, auth, volume_id, args):
        self.manager.extend_volume(auth, volume_id, int(args["new_size"]))

    def _reset_status(self, auth, volume_id, args):
        self.manager.reset_volume_status(auth, volume_id, args["status"])

    def _set_bootable(self, auth, volume_id, args):
        self.manager.update_volume(auth, volume_id,
                                   bootable=schemas.to_bool(args["bootable"]))
        return OK_NO_BODY

    def _force_delete(self, auth, volume_id, args):
        self.manager.delete_volume(auth, volume_id, force=True)

    def _update_readonly_flag(self, auth, volume_id, args):
        self.actions.update_readonly_flag(auth, volume_id, schemas.to_bool(args["readonly"]))

    def _retype(self, auth, volume_id, args):
        self.actions.retype(auth, volume_id, args["new_type"])

    def _set_image_metadata(self, auth, volume_id, args):
        return falcon.HTTP_200, {"metadata": self.actions.set_image_metadata(
            auth, volume_id, args["metadata"])}

    def _unset_image_metadata(self, auth, volume_id, args):
        self.actions.unset_image_metadata(auth, volume_id, args["key"])
        return OK_NO_BODY

    def _show_image_metadata(self, auth, volume_id, args):
        return falcon.HTTP_200, {"metadata": self.actions.image_metadata(auth, volume_id)}

    def _volume_upload_image(self, auth, volume_id, args):
        if schemas.to_bool(args.get("force", False)):
            raise errors.BadRequest("Uploading an attached volume (force) is not "
                                    "enabled.")
        volume, vtype, image_id = self.uploads.upload(
            auth, volume_id, args["image_name"], args.get("disk_format", "raw"),
            args.get("container_format", "bare"), visibility=args.get("visibility"),
            protected=schemas.to_bool(args.get("protected", False)))
        return falcon.HTTP_202, {"os-volume_upload_image": {
            "id": volume.id, "updated_at": isotime(volume.updated_at),
            "status": volume.status, "display_description": volume.description,
            "size": volume.size, "volume_type": views.volume_type(vtype),
            "image_id": image_id, "image_name": args["image_name"],
            "container_format": args.get("container_format", "bare"),
            "disk_format": args.get("disk_format", "raw")}}

    def _reserve(self, auth, volume_id, args):
        self.actions.reserve(auth, volume_id)

    def _unreserve(self, auth, volume_id, args):
        self.actions.unreserve(auth, volume_id)

    def _begin_detaching(self, auth, volume_id, args):
        self.actions.begin_detaching(auth, volume_id)

    def _roll_detaching(self, auth, volume_id, args):
        self.actions.roll_detaching(auth, volume_id)

    def _attach(self, auth, volume_id, args):
        self.actions.attach(auth, volume_id, instance_uuid=args.get("instance_uuid"),
                            host_name=args.get("host_name"), mountpoint=args["mountpoint"],
                            mode=args.get("mode", "rw"))

    def _detach(self, auth, volume_id, args):
        self.actions.detach(auth, volume_id, attachment_id=args.get("attachment_id"))

    def _force_detach(self, auth, volume_id, args):
        self.actions.detach(auth, volume_id, attachment_id=args.get("attachment_id"),
                            force=True)
