"""What every metadata definition resource shares: request bodies checked against their
schema, listing parameters."""
from controller.api import errors
from controller.image import metadef_schemas, schemas
from controller.image.api import common
from controller.image.paging import Page

STAMPS = ("created_at", "updated_at")
LINKS_AND_STAMPS = ("self", "schema", *STAMPS)


def read_body(req, schema, read_only=STAMPS):
    """The JSON object of the request, valid for ``schema``: 403 for an attribute the
    server sets, 400 for anything else the schema refuses (as Glance)."""
    body = common.read_object(req)
    for name in read_only:
        if name in body:
            raise errors.Forbidden(f"Attribute '{name}' is read-only.")
    try:
        metadef_schemas.validate(schema, body)
    except schemas.SchemaError as exc:
        raise errors.BadRequest(str(exc))
    return body


def _limit(value):
    try:
        limit = int(value)
    except ValueError:
        raise errors.BadRequest("limit param must be an integer")
    if limit < 0:
        raise errors.BadRequest("limit param must be positive")
    return limit


def page(req, sort_keys, default_limit=None, max_limit=None):
    """``sort_key``, ``sort_dir``, ``limit`` and ``marker`` of a listing."""
    sort_dir = req.get_param("sort_dir") or "desc"
    if sort_dir not in ("asc", "desc"):
        raise errors.BadRequest(f"Invalid sort direction: {sort_dir}")
    sort_key = req.get_param("sort_key") or "created_at"
    if sort_key not in sort_keys:
        raise errors.BadRequest(f"Invalid sort key: {sort_key}; use one of "
                                f"{', '.join(sort_keys)}.")
    limit = req.get_param("limit")
    limit = _limit(limit) if limit else default_limit
    if limit is not None and max_limit is not None:
        limit = min(limit, max_limit)
    return Page(sort_key=sort_key, sort_dir=sort_dir, limit=limit,
                marker=req.get_param("marker") or None)


def visibility_filter(req, choices):
    visibility = req.get_param("visibility")
    if visibility and visibility not in choices:
        raise errors.BadRequest(f"Invalid visibility value: {visibility}")
    return visibility
