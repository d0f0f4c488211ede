"""``/v3/{project_id}/types``: volume types (see ``controller.volume.types``)."""
import falcon

from controller import policy
from controller.volume import types
from controller.volume.api import common, schemas, views


class Types:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        auth = req.context.auth
        policy.authorize(auth, "volume_extension:type_get")
        resp.media = {"volume_types": [views.volume_type(row) for row in
                                       types.list_types(self.db, auth.is_admin)]}

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "volume_extension:types_manage")
        spec = common.body(req, schemas.CREATE_TYPE)["volume_type"]
        row = types.create_type(
            self.db, spec["name"], description=spec.get("description"),
            is_public=schemas.to_bool(spec.get("os-volume-type-access:is_public", True)),
            extra_specs=spec.get("extra_specs"))
        resp.media = {"volume_type": views.volume_type(row, created=True)}


class Type:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, type_id):
        auth = req.context.auth
        policy.authorize(auth, "volume_extension:type_get")
        resp.media = {"volume_type": views.volume_type(types.show_type(self.db, type_id,
                                                                       auth.is_admin))}

    def on_delete(self, req, resp, type_id):
        policy.authorize(req.context.auth, "volume_extension:types_manage")
        types.delete_type(self.db, type_id)
        resp.status = falcon.HTTP_202
