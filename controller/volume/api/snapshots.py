"""``/v3/{project_id}/snapshots``: point-in-time copies of volumes."""
import falcon

from controller import policy
from controller.api import errors
from controller.volume import records
from controller.volume.api import common, microversions, schemas, views


# What snapshot lists sort by (Cinder's columns of the same names).
SORT_KEYS = ("id", "name", "size", "status", "created_at", "updated_at", "volume_id")

class _SnapshotResource:
    def __init__(self, manager, base_url):
        self.manager = manager
        self.db = manager.db
        self.base_url = base_url

    def show(self, req, snapshot_id):
        row = records.show_snapshot(self.db, req.context.auth, snapshot_id)
        return {"snapshot": views.snapshot(row, req.context.microversion, extended=True)}

    def list(self, req, auth):
        policy.authorize(auth, "volume:get_all_snapshots")
        return records.list_snapshots(
            self.db, common.listed_project(req, auth),
            common.filters(req, "name", "status", "volume_id"),
            common.Page(req, self.base_url, SORT_KEYS))


class Snapshots(_SnapshotResource):
    def on_get(self, req, resp):
        rows, links = self.list(req, req.context.auth)
        resp.media = {"snapshots": [views.snapshot(row, req.context.microversion, False)
                                    for row in rows]}
        if links:
            resp.media["snapshots_links"] = links

    def on_post(self, req, resp):
        auth = req.context.auth
        spec = common.body(req, schemas.CREATE_SNAPSHOT)["snapshot"]
        force = (schemas.to_bool(spec.get("force", False)) or req.context.microversion
                 >= microversions.SNAPSHOT_IN_USE_WITHOUT_FORCE)
        snapshot = self.manager.create_snapshot(
            auth, spec["volume_id"], name=spec.get("name", spec.get("display_name")),
            description=spec.get("description", spec.get("display_description")),
            metadata=spec.get("metadata"), force=force)
        resp.status = falcon.HTTP_202
        resp.media = {"snapshot": views.snapshot(snapshot, req.context.microversion, False)}


class SnapshotsDetail(_SnapshotResource):
    def on_get(self, req, resp):
        rows, links = self.list(req, req.context.auth)
        resp.media = {"snapshots": [views.snapshot(row, req.context.microversion, True)
                                    for row in rows]}
        if links:
            resp.media["snapshots_links"] = links


class Snapshot(_SnapshotResource):
    def on_get(self, req, resp, snapshot_id):
        resp.media = self.show(req, snapshot_id)

    def on_put(self, req, resp, snapshot_id):
        spec = common.body(req, schemas.UPDATE_SNAPSHOT)["snapshot"]
        changes = {field: spec.get(field, spec.get(f"display_{field}"))
                   for field in ("name", "description")
                   if field in spec or f"display_{field}" in spec}
        snapshot = self.manager.update_snapshot(req.context.auth, snapshot_id, **changes)
        resp.media = {"snapshot": views.snapshot(snapshot, req.context.microversion, False)}

    def on_delete(self, req, resp, snapshot_id):
        self.manager.delete_snapshot(req.context.auth, snapshot_id)
        resp.status = falcon.HTTP_202


class SnapshotAction(_SnapshotResource):
    ACTIONS = ("os-reset_status", "os-force_delete", "os-update_snapshot_status")

    def __init__(self, manager, actions, base_url):
        super().__init__(manager, base_url)
        self.actions = actions

    def on_post(self, req, resp, snapshot_id):
        body = common.media(req)
        if not isinstance(body, dict) or len(body) != 1 or list(body)[0] not in self.ACTIONS:
            raise errors.BadRequest(f"The snapshot actions are {', '.join(self.ACTIONS)}.")
        auth = req.context.auth
        if "os-force_delete" in body:
            self.manager.delete_snapshot(auth, snapshot_id, force=True)
        elif "os-reset_status" in body:
            args = schemas.validate(body["os-reset_status"], schemas.RESET_STATUS)
            self.manager.reset_snapshot_status(auth, snapshot_id, args["status"])
        else:
            args = schemas.validate(body["os-update_snapshot_status"],
                                    schemas.UPDATE_SNAPSHOT_STATUS)
            self.actions.update_snapshot_status(auth, snapshot_id, args["status"],
                                                args.get("progress"))
        resp.status = falcon.HTTP_202
