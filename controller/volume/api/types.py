"""``/v3/{project_id}/types``: volume types. Every volume has one; ``__DEFAULT__`` is made
by the schema migration and cannot be deleted. One backend serves every type, so a
type's extra specs are kept and shown but select nothing."""
import falcon
from sqlalchemy import func, select

from controller import policy
from controller.api import errors
from controller.volume import models, records
from controller.volume.api import common, schemas, views


class Types:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        auth = req.context.auth
        policy.authorize(auth, "volume_extension:type_get")
        query = select(models.VolumeType).order_by(models.VolumeType.name)
        if not auth.is_admin:
            query = query.where(models.VolumeType.is_public.is_(True))
        with self.db.session() as session:
            resp.media = {"volume_types": [views.volume_type(row)
                                           for row in session.scalars(query)]}

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "volume_extension:types_manage")
        spec = common.body(req, schemas.CREATE_TYPE)["volume_type"]
        with self.db.session() as session:
            if session.scalar(select(models.VolumeType.id)
                              .where(models.VolumeType.name == spec["name"])):
                raise errors.Conflict(f"Volume Type {spec['name']} already exists.")
            row = models.VolumeType(
                name=spec["name"], description=spec.get("description"),
                is_public=schemas.to_bool(spec.get("os-volume-type-access:is_public", True)),
                extra_specs=spec.get("extra_specs") or {})
            session.add(row)
        resp.media = {"volume_type": views.volume_type(row)}


class Type:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, type_id):
        auth = req.context.auth
        policy.authorize(auth, "volume_extension:type_get")
        with self.db.session() as session:
            row = (records.default_type(session) if type_id == "default"
                   else session.get(models.VolumeType, type_id))
            if row is None or not (row.is_public or auth.is_admin):
                raise errors.NotFound(f"Volume type {type_id} could not be found.")
            resp.media = {"volume_type": views.volume_type(row)}

    def on_delete(self, req, resp, type_id):
        policy.authorize(req.context.auth, "volume_extension:types_manage")
        with self.db.session() as session:
            row = session.get(models.VolumeType, type_id)
            if row is None:
                raise errors.NotFound(f"Volume type {type_id} could not be found.")
            if row.name == models.DEFAULT_TYPE_NAME:
                raise errors.BadRequest("The default volume type cannot be deleted.")
            in_use = session.scalar(select(func.count()).select_from(models.Volume)
                                    .where(models.Volume.volume_type_id == type_id))
            if in_use:
                raise errors.BadRequest(f"Target volume type is still in use by {in_use} "
                                        f"volumes.")
            session.delete(row)
        resp.status = falcon.HTTP_202
