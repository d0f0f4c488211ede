"""List queries as Neutron takes them: a filter on any attribute (repeat a key for "any
of"), ``fields=``, ``sort_key``/``sort_dir``, and ``limit``/``marker``/``page_reverse``
with ``<collection>_links``.

Filters apply to the rendered view, so extension attributes (``binding:host_id``) and
``fixed_ips=ip_address=...`` filter like the rest, and an attribute the caller may not
see never matches.
"""
import urllib.parse

from controller.api import errors

CONTROL_KEYS = {"fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse"}


def values(params, key):
    """A filter's values: ``key=a&key=b`` or ``key=a`` alike."""
    value = params.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


_values = values


def _bad(message):
    return errors.BadRequest(message, "HTTPBadRequest")


def _matches(actual, wanted):
    """Does the view value ``actual`` equal the query string ``wanted``?"""
    if isinstance(actual, bool):
        return wanted.lower() == str(actual).lower()
    if actual is None:
        return wanted in ("", "None", "null")
    if isinstance(actual, list):
        return wanted in actual
    return str(actual) == wanted


def _matches_fixed_ips(fixed_ips, wanted):
    """``fixed_ips=ip_address=10.0.0.5`` / ``subnet_id=...`` / ``ip_address_substr=...``."""
    key, sep, value = wanted.partition("=")
    if not sep or key not in ("ip_address", "subnet_id", "ip_address_substr"):
        raise _bad(f"Invalid fixed_ips filter '{wanted}': use ip_address=, subnet_id= or "
                   f"ip_address_substr=.")
    if key == "ip_address_substr":
        return any(value in ip["ip_address"] for ip in fixed_ips)
    return any(ip[key] == value for ip in fixed_ips)


def _filters(params, attributes):
    filters = {}
    for key in params:
        if key in CONTROL_KEYS:
            continue
        if key not in attributes:
            raise _bad(f"[{key}] is invalid attribute for filtering")
        filters[key] = _values(params, key)
    return filters


def _keep(view, filters):
    for key, wanted in filters.items():
        if key not in view:
            return False
        if key == "fixed_ips":
            if not all(_matches_fixed_ips(view[key], value) for value in wanted):
                return False
        elif not any(_matches(view[key], value) for value in wanted):
            return False
    return True


def _sort_keys(params, attributes):
    keys = _values(params, "sort_key")
    dirs = _values(params, "sort_dir")
    if dirs and len(dirs) != len(keys):
        raise _bad("The number of sort_keys and sort_dirs must be same")
    for key in keys:
        if key not in attributes:
            raise _bad(f"{key} is invalid attribute for sort_key")
    for direction in dirs:
        if direction not in ("asc", "desc"):
            raise _bad(f"{direction} is invalid value for sort_dir, valid values are "
                       f"'asc' and 'desc'")
    keys = keys + (["id"] if "id" not in keys else [])
    dirs = (dirs or ["asc"] * (len(keys) - 1)) + ["asc"]
    return list(zip(keys, dirs))


def _sort(views, sort_keys):
    for key, direction in reversed(sort_keys):
        views.sort(key=lambda view: (view.get(key) is not None, _sortable(view.get(key))),
                   reverse=direction == "desc")
    return views


def _sortable(value):
    return value if isinstance(value, (int, float, str)) else str(value)


def _limit(params):
    values = _values(params, "limit")
    if not values:
        return None
    try:
        limit = int(values[-1])
    except ValueError:
        raise _bad(f"Bad limit request: '{values[-1]}' is not an integer.") from None
    if limit < 0:
        raise _bad(f"Bad limit request: limit must be an integer 0 or greater and not "
                   f"'{limit}'.")
    return limit or None


def _link(base_url, params, marker, reverse):
    query = [(key, value) for key in params if key not in ("marker", "page_reverse")
             for value in _values(params, key)]
    query.append(("marker", marker))
    if reverse:
        query.append(("page_reverse", "True"))
    return base_url + "?" + urllib.parse.urlencode(query)


def apply(views, params, collection, base_url, attributes):
    """Filter, sort, page and trim ``views``; returns the response body."""
    filters = _filters(params, attributes)
    views = _sort([view for view in views if _keep(view, filters)],
                  _sort_keys(params, attributes))
    limit = _limit(params)
    markers = _values(params, "marker")
    reverse = any(value.lower() == "true" for value in _values(params, "page_reverse"))
    links = []
    if markers:
        positions = [i for i, view in enumerate(views) if view["id"] == markers[-1]]
        if not positions:
            raise errors.NotFound(f"Marker {markers[-1]} could not be found.",
                                  "MarkerNotFound")
        views = views[:positions[0]] if reverse else views[positions[0] + 1:]
    if limit is not None:
        if reverse:
            more, views = len(views) > limit, views[-limit:]
        else:
            more, views = len(views) > limit, views[:limit]
        if views and (more or markers):
            ahead = more if not reverse else bool(markers)
            behind = bool(markers) if not reverse else more
            if ahead:
                links.append({"rel": "next",
                              "href": _link(base_url, params, views[-1]["id"], False)})
            if behind:
                links.append({"rel": "previous",
                              "href": _link(base_url, params, views[0]["id"], True)})
    fields = [field for value in _values(params, "fields") for field in value.split(",")
              if field]
    if fields:
        views = [{key: view[key] for key in fields if key in view} for view in views]
    body = {collection: views}
    if links:
        body[f"{collection}_links"] = links
    return body


def trim(view, params):
    """A single resource's view, trimmed to ``fields=`` when given."""
    fields = [field for value in _values(params, "fields") for field in value.split(",")
              if field]
    return {key: view[key] for key in fields if key in view} if fields else view
