"""What the compute API's resources share: request bodies checked against JSON schemas,
pagination, links, and the policy checks handed to operations."""
import dataclasses
import ipaddress
import secrets

import jsonschema

from controller import policy
from controller.api import body as api_body
from controller.api import errors

# Schema pieces used by several resources.
NAME = {"type": "string", "minLength": 1, "maxLength": 255,
        "pattern": r"^(?! )[^\x00-\x1f]*(?<! )$"}
DESCRIPTION = {"type": ["string", "null"], "maxLength": 255,
               "pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"}
METADATA = {"type": "object",
            "patternProperties": {r"^[a-zA-Z0-9\-_:. ]{1,255}$": {
                "type": "string", "maxLength": 255}},
            "additionalProperties": False}
# Nova's "uuid" format (oslo's is_uuid_like): hex digits, dashes optional. Such ids go
# into the URLs of calls to sibling services, so nothing else may pass.
UUID = {"type": "string",
        "pattern": r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                   r"[0-9a-fA-F]{12}$"}
# A block device's ``uuid`` (volume, snapshot or image id): Nova's pattern for it.
UUID_OR_NAME = {"type": "string", "minLength": 1, "maxLength": 255,
                "pattern": r"^[a-zA-Z0-9._-]*$"}
# Nova's db.MAX_INT: the largest value of the 32-bit integer columns.
MAX_INT = 2 ** 31 - 1
NON_NEGATIVE_INT = {"type": ["integer", "string"], "pattern": r"^[0-9]+$", "minimum": 0,
                    "maximum": MAX_INT}
POSITIVE_INT = {"type": ["integer", "string"], "pattern": r"^[0-9]*[1-9][0-9]*$",
                "minimum": 1, "maximum": MAX_INT}
BOOLEAN = {"type": ["boolean", "string"],
           "enum": [True, False, "True", "False", "true", "false", "1", "0", "yes", "no",
                    "on", "off"]}


@dataclasses.dataclass
class Handles:
    """What every compute resource works with, built once per app."""

    runtime: object
    image: object       # controller.compute.image.ImageAPI
    network: object     # controller.compute.network.NetworkAPI
    conductor: object   # controller.conductor.rpcapi.ConductorAPI
    agents: object      # agent.rpcapi.AgentAPI
    volume: object      # controller.compute.volume.VolumeAPI

    @property
    def conf(self):
        return self.runtime.conf

    @property
    def db(self):
        return self.runtime.db


def body(req, schema):
    """The request's JSON body, valid against ``schema``, or a 400 saying what is wrong."""
    document = api_body.read_json(req, malformed="Malformed request body: not JSON.")
    if document is None:
        raise errors.BadRequest("Malformed request body: a JSON body is required.")
    return check(document, schema)


def check(document, schema, where=None):
    """``document`` if valid against ``schema``, else a 400 naming the field."""
    error = jsonschema.exceptions.best_match(
        api_body.StrictValidator(schema).iter_errors(document))
    if error is not None:
        path = [where] if where else []
        field = "/".join(path + [str(part) for part in error.absolute_path]) or "body"
        raise errors.BadRequest(f"Invalid input for field/attribute {field}. "
                                f"Value: {error.instance!r}. {error.message}")
    return document


# Nova's generate_password alphabet: no look-alikes (0/O, 1/l/I).
_PASSWORD_SYMBOLS = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def admin_password(server, conf):
    """The adminPass a create or rebuild answers with: the one asked for, else a new
    random one; None when ``enable_instance_password`` is off (Nova leaves it out)."""
    if not conf.compute.enable_instance_password:
        return None
    if "adminPass" in server:
        return server["adminPass"]
    return "".join(secrets.choice(_PASSWORD_SYMBOLS)
                   for _ in range(conf.compute.password_length))


def check_access_ips(server):
    """accessIPv4/accessIPv6 must be addresses of their version (Nova's "ipv4"/"ipv6"
    formats), else a 400 naming the field; each is kept in its compact form, as Nova
    stores it (``0000::babe:220.12.22.2`` → ``::babe:dc0c:1602``)."""
    for field, version in (("accessIPv4", 4), ("accessIPv6", 6)):
        if field not in server:
            continue
        value = server[field]
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            address = None
        if address is None or address.version != version:
            raise errors.BadRequest(f"Invalid input for field/attribute {field}. Value: "
                                    f"{value}. '{value}' is not a 'ipv{version}'")
        server[field] = str(address)


TRUE_STRINGS = ("1", "t", "true", "on", "y", "yes")     # oslo.utils' strutils
FALSE_STRINGS = ("0", "f", "false", "off", "n", "no")


def to_bool(value):
    return str(value).lower() in TRUE_STRINGS


def strict_bool(value, name):
    """``value`` as Nova reads a strict boolean query parameter, else a 400."""
    text = str(value).strip().lower()
    if text not in TRUE_STRINGS + FALSE_STRINGS:
        raise errors.BadRequest(f"Invalid {name} filter [{value}]")
    return text in TRUE_STRINGS


def to_int(value, name, minimum=0, maximum=MAX_INT):
    """``value`` (a number or its text) as an int within the column's range, else 400."""
    if isinstance(value, float):
        raise errors.BadRequest(f"{name} must be an integer, not {value!r}.")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise errors.BadRequest(f"{name} must be an integer.") from None
    if number < minimum:
        raise errors.BadRequest(f"{name} must be >= {minimum}.")
    if number > maximum:
        raise errors.BadRequest(f"{name} must be <= {maximum}.")
    return number


def page_params(req, max_limit):
    """``limit`` (capped at ``max_limit``) and ``marker`` of a list request."""
    limit = req.get_param("limit")
    limit = max_limit if limit is None else min(to_int(limit, "limit"), max_limit)
    return limit, req.get_param("marker")


def paginate(items, limit, marker, key):
    """The page of ``items`` after ``marker`` (matched by ``key``), at most ``limit``
    long; an unknown marker is a 400 as in Nova."""
    if marker is not None:
        for index, item in enumerate(items):
            if key(item) == marker:
                items = items[index + 1:]
                break
        else:
            raise errors.BadRequest(f"marker [{marker}] not found")
    return items[:limit]


def next_link(req, path, page, limit, key):
    """Nova's ``*_links`` for a full page: where the next one starts."""
    if not page or len(page) < limit:
        return None
    params = {k: v for k, v in req.params.items() if k != "marker"}
    params["limit"] = limit
    params["marker"] = key(page[-1])
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return [{"rel": "next", "href": f"{url(req, path)}?{query}"}]


def url(req, path):
    """Absolute URL of ``path`` under this API's version root."""
    return f"{req.prefix}/v2.1{path}"


def links(req, path):
    return [{"rel": "self", "href": url(req, path)},
            {"rel": "bookmark", "href": f"{req.prefix}{path}"}]


def authorizer(auth, rule, then=None):
    """The policy check of ``rule`` for an operation to run on the target it finds (the
    server's project, say), followed by ``then()``: checks Nova makes after the policy's."""
    def authorize(target):
        policy.authorize(auth, rule, target)
        if then is not None:
            then()
    return authorize
