"""What ``GET /v2/images`` asks for: filters, sort order and page, parsed from the query.

Pure parsing with Glance's parameter rules, so the rules are tested without a database;
``repository.list_images`` turns the result into SQL.
"""
import csv
import dataclasses
import datetime

from oslo_utils import strutils

from controller.image import schemas, status

SORT_KEYS = ("name", "status", "container_format", "disk_format", "size", "virtual_size",
             "id", "created_at", "updated_at", "visibility", "owner", "min_disk", "min_ram")
SORT_DIRS = ("asc", "desc")
DEFAULT_SORT = (("created_at", "desc"), ("id", "desc"))

# Filters on a core attribute: exact match, or any of a list with "in:a,b,c".
EQUALITY_FILTERS = ("id", "name", "status", "owner", "disk_format", "container_format",
                    "checksum", "os_hash_value")
INTEGER_FILTERS = ("min_disk", "min_ram")
BOOLEAN_FILTERS = ("protected",)
TIME_FILTERS = ("created_at", "updated_at")
TIME_OPERATORS = ("eq", "neq", "gt", "gte", "lt", "lte")
PAGE_PARAMS = ("limit", "marker", "sort_key", "sort_dir", "sort")
MEMBER_STATUS_FILTERS = (*schemas.MEMBER_STATUSES, "all")
VISIBILITY_FILTERS = (*schemas.VISIBILITIES, "all")


class InvalidQuery(ValueError):
    """A query parameter the API cannot honour; the message names it."""


@dataclasses.dataclass
class ListQuery:
    equals: dict = dataclasses.field(default_factory=dict)       # attribute → [values]
    time_ranges: list = dataclasses.field(default_factory=list)  # (attribute, op, datetime)
    size_min: int | None = None
    size_max: int | None = None
    properties: dict = dataclasses.field(default_factory=dict)   # custom property → value
    tags: list = dataclasses.field(default_factory=list)
    visibility: str | None = None
    member_status: str = "accepted"
    os_hidden: bool = False
    sort: list = dataclasses.field(default_factory=lambda: list(DEFAULT_SORT))
    limit: int = 25
    marker: str | None = None


def parse(params, default_limit=25, max_limit=1000):
    """``params``: query parameter → list of values, in request order."""
    query = ListQuery(limit=default_limit)
    for name, values in params.items():
        if name in PAGE_PARAMS:
            continue
        if name == "tag":
            query.tags.extend(values)
            continue
        value = _single(name, values)
        if name in EQUALITY_FILTERS:
            query.equals[name] = _in_values(value)
        elif name in INTEGER_FILTERS:
            query.equals[name] = [_integer(name, value)]
        elif name in BOOLEAN_FILTERS:
            query.equals[name] = [_boolean(name, value)]
        elif name in TIME_FILTERS:
            query.time_ranges.append((name, *_time_filter(name, value)))
        elif name == "size_min":
            query.size_min = _integer(name, value)
        elif name == "size_max":
            query.size_max = _integer(name, value)
        elif name == "visibility":
            query.visibility = _choice(name, value, VISIBILITY_FILTERS)
        elif name == "member_status":
            query.member_status = _choice(name, value, MEMBER_STATUS_FILTERS)
        elif name == "os_hidden":
            query.os_hidden = _boolean(name, value)
        else:
            query.properties[name] = value
    for value in query.equals.get("status", ()):
        _choice("status", value, status.GLANCE_STATUSES)
    query.sort = _sort(params)
    query.limit = min(_integer("limit", _single("limit", params["limit"]))
                      if "limit" in params else default_limit, max_limit)
    if "marker" in params:
        query.marker = _single("marker", params["marker"])
    return query


def _single(name, values):
    if len(values) != 1:
        raise InvalidQuery(f"Query parameter {name} may be given only once.")
    return values[0]


def _in_values(value):
    if not value.startswith("in:"):
        return [value]
    try:
        (items,) = csv.reader([value[3:]], skipinitialspace=True)
    except (csv.Error, ValueError):
        raise InvalidQuery(f"Invalid 'in:' list: {value!r}.")
    return items


def _integer(name, value):
    try:
        number = int(value)
    except ValueError:
        raise InvalidQuery(f"Query parameter {name} must be an integer, not {value!r}.")
    if number < 0:
        raise InvalidQuery(f"Query parameter {name} must not be negative.")
    return number


def _boolean(name, value):
    try:
        return strutils.bool_from_string(value, strict=True)
    except ValueError:
        raise InvalidQuery(f"Query parameter {name} must be true or false, not {value!r}.")


def _choice(name, value, choices):
    if value not in choices:
        raise InvalidQuery(f"Invalid {name} value {value!r}; use one of "
                           f"{', '.join(choices)}.")
    return value


def _time_filter(name, value):
    operator, _, moment = value.partition(":")
    if not moment or operator not in TIME_OPERATORS:
        raise InvalidQuery(f"Filter {name} needs an operator and a time, e.g. "
                           f"gte:2026-01-01T00:00:00Z; operators: "
                           f"{', '.join(TIME_OPERATORS)}.")
    try:
        parsed = datetime.datetime.fromisoformat(moment)
    except ValueError:
        raise InvalidQuery(f"Filter {name}: {moment!r} is not an ISO 8601 time.")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return operator, parsed


def _sort(params):
    """Glance's two spellings: ``sort=k1:dir,k2`` or ``sort_key=k1&sort_dir=dir``."""
    if "sort" in params and ("sort_key" in params or "sort_dir" in params):
        raise InvalidQuery("Use either sort or sort_key/sort_dir, not both.")
    pairs = []
    if "sort" in params:
        for item in _single("sort", params["sort"]).split(","):
            key, _, direction = item.strip().partition(":")
            pairs.append((key, direction or "desc"))
    elif "sort_key" in params:
        keys = [key for value in params["sort_key"] for key in value.split(",")]
        dirs = [d for value in params.get("sort_dir", ()) for d in value.split(",")]
        if not dirs:
            dirs = ["desc"] * len(keys)
        elif len(dirs) == 1:
            dirs = dirs * len(keys)
        elif len(dirs) != len(keys):
            raise InvalidQuery("Give one sort_dir, or one per sort_key.")
        pairs = list(zip(keys, dirs))
    elif "sort_dir" in params:
        direction = _single("sort_dir", params["sort_dir"])
        pairs = [(key, direction) for key, _ in DEFAULT_SORT]
    else:
        return list(DEFAULT_SORT)
    for key, direction in pairs:
        _choice("sort key", key, SORT_KEYS)
        _choice("sort direction", direction, SORT_DIRS)
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise InvalidQuery("Each sort key may be given only once.")
    if "id" not in keys:
        # A unique last key makes the order total, so marker pagination is exact.
        pairs.append(("id", pairs[-1][1]))
    return pairs
