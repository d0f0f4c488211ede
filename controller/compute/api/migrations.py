"""``GET /os-migrations``: the moves of servers (admins), per microversion as Nova shows
them — ``migration_type`` from 2.23, ``uuid`` and pagination from 2.59."""
from controller.api import errors
from controller.compute import moves
from controller.compute.api import common
from controller.compute.operations import server_moves

FILTERS = ("instance_uuid", "status", "host", "source_compute", "migration_type")


def _time(value):
    return value.isoformat(timespec="microseconds") if value else None


def _flavor_number(flavor):
    """Nova's ``*_instance_type_id`` is the flavor's integer row id; here flavors are
    known by their (often numeric) flavorid, shown when it is a number."""
    flavor_id = str((flavor or {}).get("id", ""))
    return int(flavor_id) if flavor_id.isdigit() and int(flavor_id) <= common.MAX_INT else None


def view(req, migration):
    version = req.context.microversion
    body = {"id": migration.id, "status": migration.status,
            "instance_uuid": migration.instance_uuid,
            "source_node": migration.source_node,
            "source_compute": migration.source_compute,
            "dest_node": migration.dest_node, "dest_compute": migration.dest_compute,
            "dest_host": migration.dest_host,
            "old_instance_type_id": _flavor_number(migration.old_flavor),
            "new_instance_type_id": _flavor_number(migration.new_flavor),
            "created_at": _time(migration.created_at),
            "updated_at": _time(migration.updated_at)}
    if version >= (2, 23):
        body["migration_type"] = migration.migration_type
        if (migration.migration_type == moves.LIVE_MIGRATION
                and migration.status in moves.LIVE_IN_PROGRESS):
            path = f"/servers/{migration.instance_uuid}/migrations/{migration.id}"
            body["links"] = common.links(req, path)
    if version >= (2, 59):
        body["uuid"] = migration.uuid
    return body


class Migrations:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp):
        filters = {name: req.get_param(name) for name in FILTERS if req.get_param(name)}
        if "migration_type" in filters and req.context.microversion < (2, 23):
            del filters["migration_type"]
        found = server_moves.ServerMoves(self.svc).list_migrations(req.context.auth,
                                                                   filters)
        if req.context.microversion < (2, 59):
            resp.media = {"migrations": [view(req, m) for m in found]}
            return
        limit, marker = common.page_params(req, self.svc.conf.compute.max_limit)
        try:
            page = common.paginate(found, limit, marker, lambda m: m.uuid)
        except errors.BadRequest:
            raise errors.BadRequest(f"Marker {marker} could not be found.") from None
        resp.media = {"migrations": [view(req, m) for m in page]}
        more = common.next_link(req, "/os-migrations", page, limit, lambda m: m.uuid)
        if more:
            resp.media["migrations_links"] = more
