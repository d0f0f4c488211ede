"""What every identity resource shares: Keystone's error body, request parsing, links,
collection filters and lookups that 404 as Keystone does."""
from sqlalchemy.exc import IntegrityError

from controller.api import body as api_body
from controller.api import errors
from controller.identity import models

TRUE_STRINGS = ("", "1", "true", "yes", "on")


def error_body(status, message, error_type):
    """Keystone's error format."""
    return {"error": {"code": status, "title": errors.title(status), "message": message}}


def identity_url(req):
    """Base URL of identity as this request reached it (…/identity)."""
    return req.prefix


def read_json(req, key=None):
    """The request body as a dict (or its ``key`` member): 400 for anything else."""
    body = api_body.read_json(req)
    if not isinstance(body, dict):
        raise errors.BadRequest("Expecting a JSON object as the request body.")
    if key is None:
        return body
    value = body.get(key)
    if not isinstance(value, dict):
        raise errors.BadRequest(f"Expecting to find {key} in the request body.")
    return value


def check_fields(data, allowed, required=(), where="request"):
    """Reject unknown attributes (Keystone would store them; we would lose them) and
    missing required ones. Empty ``options``/``tags`` are accepted and ignored."""
    unknown = {k for k in data if k not in allowed and not (k in ("options", "tags")
                                                           and not data[k])}
    if unknown:
        raise errors.BadRequest(f"Unsupported attribute(s) in {where}: "
                                f"{', '.join(sorted(unknown))}.")
    for key in required:
        if key not in data:
            raise errors.BadRequest(f"Expecting to find {key} in {where}.")


def string(data, key, where, max_length=255):
    value = data.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise errors.BadRequest(f"Invalid input for field '{key}' in {where}: expecting "
                                f"a non-empty string of at most {max_length} characters.")
    return value


def text(data, key, where, max_length=65535):
    """An optional free-text attribute (may be empty); None when absent or null."""
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or len(value) > max_length):
        raise errors.BadRequest(f"Invalid input for field '{key}' in {where}: expecting "
                                f"a string of at most {max_length} characters.")
    return value


def boolean(data, key, where):
    value = data[key]
    if not isinstance(value, bool):
        raise errors.BadRequest(f"Invalid input for field '{key}' in {where}: expecting "
                                f"true or false.")
    return value


def query_flag(req, name):
    value = req.get_param(name)
    return value is not None and value.lower() in TRUE_STRINGS


def apply_filters(req, statement, model, names):
    """Keystone's list filters: exact match on each ``name`` given in the query string;
    ``enabled`` is a boolean."""
    for name in names:
        value = req.get_param(name)
        if value is None:
            continue
        column = getattr(model, name)
        if name == "enabled":
            statement = statement.where(column.is_(value.lower() not in ("0", "false", "no")))
        else:
            statement = statement.where(column == value)
    return statement


def collection(req, key, items):
    return {key: items, "links": {"self": req.url, "previous": None, "next": None}}


def self_link(req, path):
    return {"self": f"{identity_url(req)}/v3/{path}"}


def get_or_404(session, model, object_id, kind):
    row = session.get(model, object_id)
    if row is None:
        raise errors.NotFound(f"Could not find {kind}: {object_id}.")
    return row


def domain_or_400(session, domain_id):
    domain = session.get(models.Domain, domain_id)
    if domain is None:
        raise errors.BadRequest(f"Could not find domain: {domain_id}.")
    return domain


def conflict_on_duplicate(session, kind, name, statement):
    if session.scalar(statement) is not None:
        raise errors.Conflict(f"Conflict occurred attempting to store {kind} - Duplicate "
                              f"entry found with name {name}.")


def flush(session, kind):
    """Flush, turning a unique-constraint race into the same 409 as the check above."""
    try:
        session.flush()
    except IntegrityError:
        raise errors.Conflict(f"Conflict occurred attempting to store {kind} - "
                              f"Duplicate entry.") from None
