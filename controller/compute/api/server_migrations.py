"""``/servers/{id}/migrations``: a server's live migration under way — listed and shown
from 2.23, forced to complete (``force_complete`` action) from 2.22, aborted (DELETE)
from 2.24 (from 2.65 also while it is being prepared) — as Nova's server-migrations API."""
import falcon

from controller.api import errors
from controller.compute.api import common
from controller.compute.operations import server_live_migration
from controller.compute.moves import PROGRESS_FIELDS

FORCE_COMPLETE = {"type": "object", "properties": {"force_complete": {"type": "null"}},
                  "required": ["force_complete"], "additionalProperties": False}


def _since(req, version):
    if req.context.microversion < version:
        raise errors.NotFound("The resource could not be found.")


def _time(value):
    return value.isoformat(timespec="microseconds") if value else None


def _migration_id(value):
    if not str(value).isdigit():
        raise errors.BadRequest(f"Invalid migration id {value}: it must be an integer.")
    return int(value)


def view(req, migration):
    body = {"id": migration.id, "server_uuid": migration.instance_uuid,
            "status": migration.status, "source_compute": migration.source_compute,
            "source_node": migration.source_node, "dest_compute": migration.dest_compute,
            "dest_node": migration.dest_node, "dest_host": migration.dest_host,
            "created_at": _time(migration.created_at),
            "updated_at": _time(migration.updated_at),
            **{name: getattr(migration, name) for name in PROGRESS_FIELDS}}
    if req.context.microversion >= (2, 59):
        body["uuid"] = migration.uuid
    return body


def _operations(svc):
    return server_live_migration.ServerLiveMigration(svc)


class ServerMigrations:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, server_id):
        _since(req, (2, 23))
        auth = req.context.auth
        found = _operations(self.svc).in_progress(
            auth, server_id,
            common.authorizer(auth, "os_compute_api:servers:migrations:index"))
        resp.media = {"migrations": [view(req, migration) for migration in found]}


class ServerMigration:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, server_id, migration_id):
        _since(req, (2, 23))
        auth = req.context.auth
        found = _operations(self.svc).in_progress(
            auth, server_id,
            common.authorizer(auth, "os_compute_api:servers:migrations:show"),
            _migration_id(migration_id))
        resp.media = {"migration": view(req, found[0])}

    def on_delete(self, req, resp, server_id, migration_id):
        _since(req, (2, 24))
        auth = req.context.auth
        _operations(self.svc).abort(
            auth, req.context.request_id, server_id, _migration_id(migration_id),
            common.authorizer(auth, "os_compute_api:servers:migrations:delete"),
            preparing_too=req.context.microversion >= (2, 65))
        resp.status = falcon.HTTP_202


class ServerMigrationAction:
    def __init__(self, svc):
        self.svc = svc

    def on_post(self, req, resp, server_id, migration_id):
        _since(req, (2, 22))
        common.body(req, FORCE_COMPLETE)
        auth = req.context.auth
        _operations(self.svc).force_complete(
            auth, req.context.request_id, server_id, _migration_id(migration_id),
            common.authorizer(auth, "os_compute_api:servers:migrations:force_complete"))
        resp.status = falcon.HTTP_202
