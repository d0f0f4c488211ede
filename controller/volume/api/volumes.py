"""``/v3/{project_id}/volumes``: create, list, show, update, delete, actions, metadata."""
import falcon
from sqlalchemy import select

from controller import policy
from controller.api import errors
from controller.volume import models, records
from controller.volume.api import common, schemas, views


class _VolumeResource:
    def __init__(self, manager, base_url):
        self.manager = manager
        self.db = manager.db
        self.base_url = base_url

    def render(self, session, auth, rows):
        """Full views of ``rows``, with their types and attachments in two queries."""
        ids = [row.id for row in rows]
        type_names = dict(session.execute(select(models.VolumeType.id, models.VolumeType.name)
                                          .where(models.VolumeType.id.in_(
                                              {row.volume_type_id for row in rows}))).all())
        attachments = {}
        for attachment in session.scalars(select(models.Attachment)
                                          .where(models.Attachment.volume_id.in_(ids))):
            attachments.setdefault(attachment.volume_id, []).append(attachment)
        return [views.volume(row, type_names.get(row.volume_type_id),
                             attachments.get(row.id, []), self.base_url, auth.is_admin)
                for row in rows]

    def show(self, auth, volume_id):
        with self.db.session() as session:
            volume = records.get_volume(session, auth, volume_id)
            return {"volume": self.render(session, auth, [volume])[0]}

    def list_rows(self, session, req, auth):
        policy.authorize(auth, "volume:get_all")
        query = select(models.Volume).order_by(models.Volume.created_at.desc(),
                                               models.Volume.id.desc())
        if common.all_projects(req, auth, "volume:get_all_projects"):
            project = req.get_param("project_id")
            if project:
                query = query.where(models.Volume.project_id == project)
        else:
            query = query.where(models.Volume.project_id == auth.project_id)
        for field in ("name", "status"):
            value = req.get_param(field)
            if value is not None:
                query = query.where(getattr(models.Volume, field) == value)
        return list(session.scalars(query))


class Volumes(_VolumeResource):
    def on_get(self, req, resp):
        auth = req.context.auth
        with self.db.session() as session:
            rows, links = common.page(req, self.list_rows(session, req, auth),
                                      self.base_url)
        resp.media = {"volumes": [views.volume_summary(row, self.base_url) for row in rows]}
        if links:
            resp.media["volumes_links"] = links

    def on_post(self, req, resp):
        auth = req.context.auth
        spec = common.body(req, schemas.CREATE_VOLUME)["volume"]
        volume = self.manager.create_volume(
            auth, size=schemas.to_int(spec.get("size")),
            name=spec.get("name", spec.get("display_name")),
            description=spec.get("description", spec.get("display_description")),
            metadata=spec.get("metadata"), volume_type=spec.get("volume_type"),
            snapshot_id=spec.get("snapshot_id"), source_volid=spec.get("source_volid"),
            image_id=spec.get("imageRef"), availability_zone=spec.get("availability_zone"))
        resp.status = falcon.HTTP_202
        resp.media = self.show(auth, volume.id)


class VolumesDetail(_VolumeResource):
    def on_get(self, req, resp):
        auth = req.context.auth
        with self.db.session() as session:
            rows, links = common.page(req, self.list_rows(session, req, auth),
                                      self.base_url)
            resp.media = {"volumes": self.render(session, auth, rows)}
        if links:
            resp.media["volumes_links"] = links


class Volume(_VolumeResource):
    def on_get(self, req, resp, volume_id):
        resp.media = self.show(req.context.auth, volume_id)

    def on_put(self, req, resp, volume_id):
        spec = common.body(req, schemas.UPDATE_VOLUME)["volume"]
        changes = {}
        for field in ("name", "description"):
            if field in spec or f"display_{field}" in spec:
                changes[field] = spec.get(field, spec.get(f"display_{field}"))
        if "metadata" in spec:
            changes["metadata_"] = spec["metadata"] or {}
        self.manager.update_volume(req.context.auth, volume_id, **changes)
        resp.media = self.show(req.context.auth, volume_id)

    def on_delete(self, req, resp, volume_id):
        cascade = schemas.to_bool(req.get_param("cascade", default="false"))
        self.manager.delete_volume(req.context.auth, volume_id, cascade=cascade)
        resp.status = falcon.HTTP_202


class VolumeAction(_VolumeResource):
    """``POST /volumes/{id}/action``: one action per body, named by its only key."""

    def on_post(self, req, resp, volume_id):
        auth = req.context.auth
        body = common.media(req)
        if not isinstance(body, dict) or len(body) != 1:
            raise errors.BadRequest("The action body must be an object with one action.")
        (action, args), = body.items()
        if action == "os-extend":
            args = schemas.validate(args, schemas.EXTEND)
            self.manager.extend_volume(auth, volume_id, int(args["new_size"]))
        elif action == "os-reset_status":
            args = schemas.validate(args, schemas.RESET_STATUS)
            self.manager.reset_volume_status(auth, volume_id, args["status"])
        elif action == "os-set_bootable":
            if not isinstance(args, dict) or "bootable" not in args:
                raise errors.BadRequest("os-set_bootable needs a 'bootable' flag.")
            self.manager.update_volume(auth, volume_id,
                                       bootable=schemas.to_bool(args["bootable"]))
        else:
            raise errors.BadRequest(f"Volume action {action!r} is not supported.")
        resp.status = falcon.HTTP_202


class VolumeMetadata(_VolumeResource):
    """``/volumes/{id}/metadata``: GET it, POST to merge keys in, PUT to replace it."""

    def on_get(self, req, resp, volume_id):
        with self.db.session() as session:
            volume = records.get_volume(session, req.context.auth, volume_id)
            resp.media = {"metadata": volume.metadata_}

    def on_post(self, req, resp, volume_id):
        self._write(req, resp, volume_id, merge=True)

    def on_put(self, req, resp, volume_id):
        self._write(req, resp, volume_id, merge=False)

    def _write(self, req, resp, volume_id, merge):
        new = common.body(req, schemas.METADATA)["metadata"] or {}
        with self.db.session() as session:
            volume = records.get_volume(session, req.context.auth, volume_id,
                                        "volume:update")
            volume.metadata_ = {**volume.metadata_, **new} if merge else dict(new)
            resp.media = {"metadata": volume.metadata_}


class VolumeMetadataItem(_VolumeResource):
    def on_get(self, req, resp, volume_id, key):
        with self.db.session() as session:
            volume = records.get_volume(session, req.context.auth, volume_id)
            if key not in volume.metadata_:
                raise errors.NotFound(f"Volume {volume_id} has no metadata with key {key}.")
            resp.media = {"meta": {key: volume.metadata_[key]}}

    def on_delete(self, req, resp, volume_id, key):
        with self.db.session() as session:
            volume = records.get_volume(session, req.context.auth, volume_id,
                                        "volume:update")
            if key not in volume.metadata_:
                raise errors.NotFound(f"Volume {volume_id} has no metadata with key {key}.")
            volume.metadata_ = {k: v for k, v in volume.metadata_.items() if k != key}
