"""``/v3/{project_id}/volumes``: create, list, show, update, delete, actions, metadata."""
import falcon

from controller import policy
from controller.volume import records
from controller.volume.api import common, microversions, schemas, views


# What volume lists sort by (Cinder's columns of the same names).
SORT_KEYS = ("id", "name", "size", "status", "created_at", "updated_at", "bootable",
             "availability_zone")


class _VolumeResource:
    def __init__(self, manager, base_url):
        self.manager = manager
        self.db = manager.db
        self.base_url = base_url

    def render(self, req, details, extended=False):
        return [views.volume(d.volume, d.type_name, d.attachments, self.base_url,
                             req.context.auth.is_admin, req.context.microversion, extended)
                for d in details]

    def show(self, req, volume_id):
        detail = records.show_volume(self.db, req.context.auth, volume_id)
        return {"volume": self.render(req, [detail], extended=True)[0]}

    def list(self, req, auth, detail):
        policy.authorize(auth, "volume:get_all")
        return records.list_volumes(
            self.db, common.listed_project(req, auth, filter_project=True),
            common.filters(req, "name", "status"),
            common.Page(req, self.base_url, SORT_KEYS), detail)


class Volumes(_VolumeResource):
    def on_get(self, req, resp):
        rows, links = self.list(req, req.context.auth, detail=False)
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
        resp.media = {"volume": self.render(req, [volume])[0]}


class VolumesSummary(_VolumeResource):
    """``GET /volumes/summary`` (3.12): how many volumes and GB; their metadata (3.36)."""

    def on_get(self, req, resp):
        microversions.require(req, microversions.VOLUME_SUMMARY, "The volume summary")
        auth = req.context.auth
        policy.authorize(auth, "volume:get_volume_summary")
        count, size, metadata = records.volume_summary(self.db,
                                                       common.listed_project(req, auth))
        summary = {"total_count": count, "total_size": size}
        if req.context.microversion >= microversions.SUMMARY_METADATA:
            summary["metadata"] = metadata
        resp.media = {"volume-summary": summary}


class VolumesDetail(_VolumeResource):
    def on_get(self, req, resp):
        auth = req.context.auth
        details, links = self.list(req, auth, detail=True)
        resp.media = {"volumes": self.render(req, details, extended=True)}
        if links:
            resp.media["volumes_links"] = links


class Volume(_VolumeResource):
    def on_get(self, req, resp, volume_id):
        resp.media = self.show(req, volume_id)

    def on_put(self, req, resp, volume_id):
        spec = common.body(req, schemas.UPDATE_VOLUME)["volume"]
        changes = {}
        for field in ("name", "description"):
            if field in spec or f"display_{field}" in spec:
                changes[field] = spec.get(field, spec.get(f"display_{field}"))
        if "metadata" in spec:
            changes["metadata_"] = spec["metadata"] or {}
        volume = self.manager.update_volume(req.context.auth, volume_id, **changes)
        resp.media = {"volume": self.render(req, [volume])[0]}

    def on_delete(self, req, resp, volume_id):
        cascade = schemas.to_bool(req.get_param("cascade", default="false"))
        self.manager.delete_volume(req.context.auth, volume_id, cascade=cascade)
        resp.status = falcon.HTTP_202
