"""What every volume API resource shares: the caller, the body, listing and paging."""
import urllib.parse

from controller import policy
from controller.api import body as api_body
from controller.api import errors
from controller.volume.api import schemas


class ProjectScopeMiddleware:
    """``/v3/{project_id}/...`` must name the token's project (Cinder: "Malformed request
    url" otherwise); from 3.67 the project may be left out of the URL."""

    def process_resource(self, req, resp, resource, params):
        project_id = params.pop("project_id", None)
        auth = getattr(req.context, "auth", None)
        if project_id is not None and auth is not None and project_id != auth.project_id:
            raise errors.BadRequest("Malformed request url.")


def media(req):
    """The JSON body, read with the shared bound; 400 when it is missing or malformed."""
    document = api_body.read_json(req, malformed="Malformed request body: not JSON.")
    if document is None:
        raise errors.BadRequest("Malformed request body: a JSON body is required.")
    return document


def body(req, schema):
    return schemas.validate(media(req), schema)


def all_projects(req, auth, rule):
    """Whether an admin asked to see every project's resources (``all_tenants``)."""
    wanted = schemas.to_bool(req.get_param("all_tenants", default="0")) or schemas.to_bool(
        req.get_param("all_projects", default="0"))
    return wanted and policy.allowed(auth, rule)


def page(req, rows, base_url):
    """Apply ``marker``, ``offset`` and ``limit`` to rows already in order; returns (rows,
    links). ``limit=0`` is an empty page without a next link, as in Cinder."""
    marker = req.get_param("marker")
    if marker:
        ids = [row.id for row in rows]
        if marker not in ids:
            raise errors.NotFound(f"Marker {marker} could not be found.")
        rows = rows[ids.index(marker) + 1:]
    offset = req.get_param_as_int("offset", min_value=0)
    if offset:
        rows = rows[offset:]
    limit = req.get_param_as_int("limit", min_value=0)
    if limit == 0:   # Cinder: an empty page, and nothing to continue from
        return [], []
    # Cinder links to a next page whenever the page is full, even if nothing follows.
    if limit is None or len(rows) < limit:
        return rows, []
    rows = rows[:limit]
    # The next page keeps the request's filters (name, status, all_tenants...).
    query = [(key, value) for key, values in req.params.items() if key != "marker"
             for value in (values if isinstance(values, list) else [values])]
    query.append(("marker", rows[-1].id))
    href = f"{base_url}{req.path}?{urllib.parse.urlencode(query)}"
    return rows, [{"rel": "next", "href": href}]


SORT_DIRS = ("asc", "desc")


def sort_params(req, keys):
    """Cinder's sort order: ``sort=key[:dir],...`` or ``sort_key``/``sort_dir`` (not
    both), by default newest first; each key one of ``keys``, else a 400."""
    sort = req.get_param("sort")
    if sort and (req.get_param("sort_key") or req.get_param("sort_dir")):
        raise errors.BadRequest("The 'sort_key' and 'sort_dir' parameters are deprecated "
                                "and cannot be used with the 'sort' parameter.")
    if sort:
        pairs = [(part.partition(":")[0].strip(), part.partition(":")[2].strip() or "desc")
                 for part in sort.split(",")]
    else:
        pairs = list(zip(req.get_param_as_list("sort_key") or ["created_at"],
                         (req.get_param_as_list("sort_dir") or []) + ["desc"] * 10))
    # Cinder still takes the v1 names of the name column.
    pairs = [({"display_name": "name"}.get(key, key), direction) for key, direction in pairs]
    for key, direction in pairs:
        if key not in keys:
            raise errors.BadRequest(f"Invalid sort key: {key}")
        if direction not in SORT_DIRS:
            raise errors.BadRequest("Unknown sort direction, must be 'desc' or 'asc'")
    return pairs


class Page:
    """A list request's ``marker``, ``limit`` and sort order, handed to the operation that
    reads the rows so it pages them (and loads what the page shows) in its transaction.
    ``sort_keys``: the attributes the listed rows may be sorted by."""

    def __init__(self, req, base_url, sort_keys=("created_at", "id")):
        self.req = req
        self.base_url = base_url
        self.sort = sort_params(req, sort_keys)

    def order_by(self, model):
        """The ORDER BY of the request's sort, ties broken by id as in Cinder."""
        columns = [getattr(getattr(model, key), direction)() for key, direction in self.sort]
        if "id" not in [key for key, _ in self.sort]:
            columns.append(getattr(model.id, self.sort[-1][1])())
        return columns

    def apply(self, rows):
        return page(self.req, rows, self.base_url)


def listed_project(req, auth, filter_project=False):
    """Whose rows a list shows: the caller's project, or True for every project when an
    admin asks for all of them (narrowed to ``project_id`` if ``filter_project``)."""
    if not all_projects(req, auth, "volume:get_all_projects"):
        return auth.project_id
    return (filter_project and req.get_param("project_id")) or True


def filters(req, *names, **renamed):
    """{column: value} of the query parameters ``names`` (and ``renamed``: {parameter:
    column}) the request gives."""
    columns = {**{name: name for name in names}, **renamed}
    return {column: req.get_param(name) for name, column in columns.items()
            if req.get_param(name) is not None}
