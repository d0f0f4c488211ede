"""``/v3/{project_id}/types``: volume types, their extra specs and who may use a private
one (see ``controller.volume.types``)."""
import falcon

from controller import policy
from controller.api import errors
from controller.volume import types
from controller.volume.api import common, schemas, views


def _is_public_param(req):
    """Cinder's ``is_public`` list filter: absent → True, ``none`` → every type."""
    value = req.get_param("is_public")
    if value is None:
        return True
    if value.lower() == "none":
        return None
    if value not in schemas.BOOL_STRINGS:
        raise errors.BadRequest(f"Invalid is_public filter [{value}]")
    return schemas.to_bool(value)


class Types:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        auth = req.context.auth
        policy.authorize(auth, "volume_extension:type_get")
        rows = types.list_types(self.db, auth, _is_public_param(req))
        resp.media = {"volume_types": [views.volume_type(row) for row in rows]}

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
        resp.media = {"volume_type": views.volume_type(types.show_type(self.db, auth,
                                                                       type_id))}

    def on_put(self, req, resp, type_id):
        policy.authorize(req.context.auth, "volume_extension:types_manage")
        spec = common.body(req, schemas.UPDATE_TYPE)["volume_type"]
        if all(spec.get(key) is None for key in ("name", "description", "is_public")):
            raise errors.BadRequest("Specify volume type name, description, is_public or a "
                                    "combination thereof.")
        is_public = spec.get("is_public")
        row = types.update_type(
            self.db, type_id, name=spec.get("name"), description=spec.get("description"),
            is_public=None if is_public is None else schemas.to_bool(is_public))
        resp.media = {"volume_type": views.volume_type(row, updated=True)}

    def on_delete(self, req, resp, type_id):
        policy.authorize(req.context.auth, "volume_extension:types_manage")
        types.delete_type(self.db, type_id)
        resp.status = falcon.HTTP_202


class ExtraSpecs:
    """``/types/{id}/extra_specs``: read them, or POST some to add or replace."""

    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, type_id):
        policy.authorize(req.context.auth, "volume_extension:types_extra_specs:index")
        resp.media = {"extra_specs": types.extra_specs(self.db, type_id)}

    def on_post(self, req, resp, type_id):
        policy.authorize(req.context.auth, "volume_extension:types_extra_specs:create")
        specs = common.body(req, schemas.EXTRA_SPECS)["extra_specs"]
        resp.media = {"extra_specs": types.set_extra_specs(self.db, type_id, specs)}


class ExtraSpec:
    """``/types/{id}/extra_specs/{key}``: one extra spec."""

    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, type_id, key):
        policy.authorize(req.context.auth, "volume_extension:types_extra_specs:show")
        resp.media = {key: types.extra_spec(self.db, type_id, key)}

    def on_put(self, req, resp, type_id, key):
        policy.authorize(req.context.auth, "volume_extension:types_extra_specs:update")
        spec = common.body(req, schemas.EXTRA_SPEC_ITEM)
        if key not in spec:
            raise errors.BadRequest("Request body and URI mismatch")
        resp.media = types.set_extra_specs(self.db, type_id, spec)

    def on_delete(self, req, resp, type_id, key):
        policy.authorize(req.context.auth, "volume_extension:types_extra_specs:delete")
        types.delete_extra_spec(self.db, type_id, key)
        resp.status = falcon.HTTP_202


class TypeAction:
    """``POST /types/{id}/action``: ``addProjectAccess`` / ``removeProjectAccess``."""

    def __init__(self, db):
        self.db = db

    def on_post(self, req, resp, type_id):
        body = common.body(req, schemas.TYPE_ACCESS_ACTION)
        (action, args), = body.items()
        policy.authorize(req.context.auth, f"volume_extension:volume_type_access:{action}")
        change = types.add_access if action == "addProjectAccess" else types.remove_access
        change(self.db, type_id, args["project"])
        resp.status = falcon.HTTP_202


class TypeAccess:
    """``GET /types/{id}/os-volume-type-access``: the projects a private type is granted to."""

    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, type_id):
        policy.authorize(req.context.auth, "volume_extension:volume_type_access")
        resp.media = {"volume_type_access": [
            {"volume_type_id": type_id, "project_id": project_id}
            for project_id in types.list_access(self.db, type_id)]}
