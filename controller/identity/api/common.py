"""What every identity resource shares: Keystone's error body, request parsing, links
and collection filters."""
import falcon

from controller import policy
from controller.api import body as api_body
from controller.api import errors
from controller.identity import records

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


def extra_attributes(data, known, where, path_id=None):
    """The attributes of ``data`` Keystone does not know: it keeps them ("extra") and
    shows them back. An ``id`` may only repeat the path's."""
    if "id" in data and (path_id is None or data["id"] != path_id):
        raise errors.BadRequest(f"Invalid input for field 'id' in {where}: the ID cannot "
                                f"be given or changed.")
    return {k: v for k, v in data.items()
            if k not in known and k not in ("id", "options", "tags", "links")}


def with_extra(view, row):
    """``view`` with the row's extra attributes (never hiding a real one)."""
    return {**(row.extra or {}), **view}


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


def filters(req, names):
    """Keystone's list filters: {name: value} of each of ``names`` the query string gives
    (matched exactly; ``enabled`` as a boolean)."""
    return {name: req.get_param(name) for name in names if req.get_param(name) is not None}


def collection(req, key, items):
    return {key: items, "links": {"self": req.url, "previous": None, "next": None}}


def self_link(req, path):
    return {"self": f"{identity_url(req)}/v3/{path}"}


def is_hex_id(value):
    """A Keystone ID: 32 lowercase hexadecimal digits."""
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


class Record:
    """``/v3/<kind>s/{<kind>_id}``: show and delete of one record under the rules
    ``identity:get_<kind>`` and ``identity:delete_<kind>``; a subclass names its
    ``kind``, ``model``, ``view(req, record)`` and ``delete(db, record_id)``, and adds
    its update."""
    kind = model = None

    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, **path):
        (record_id,) = path.values()
        policy.authorize(req.context.auth, f"identity:get_{self.kind}")
        record = records.show(self.db, self.model, record_id, self.kind)
        resp.media = {self.kind: self.view(req, record)}

    def on_delete(self, req, resp, **path):
        (record_id,) = path.values()
        policy.authorize(req.context.auth, f"identity:delete_{self.kind}")
        self.delete(self.db, record_id)
        resp.status = falcon.HTTP_204
