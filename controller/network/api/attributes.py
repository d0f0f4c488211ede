"""Request bodies: which attributes each resource accepts on POST and PUT, and their
types, as Neutron's attribute map declares them. Anything else is refused with a 400
before any change is made."""
import dataclasses

from controller.api import body as api_body
from controller.api import errors
from controller.network import sg_rules


def _bad(message):
    return errors.BadRequest(f"Invalid input for operation: {message}", "InvalidInput")


def string(limit=255):
    def convert(name, value):
        if not isinstance(value, str):
            raise _bad(f"'{value}' is not a valid string for {name}.")
        if len(value) > limit:
            raise _bad(f"'{value[:40]}...' exceeds maximum length of {limit} for {name}.")
        return value
    return convert


def optional_string(limit=255):
    inner = string(limit)

    def convert(name, value):
        return None if value is None else inner(name, value)
    return convert


def boolean(name, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _bad(f"'{value}' cannot be converted to boolean for {name}.")


def integer(name, value):
    if isinstance(value, bool):
        raise _bad(f"'{value}' is not an integer for {name}.")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad(f"'{value}' is not an integer for {name}.") from None


def optional_integer(name, value):
    return None if value is None else integer(name, value)


def list_of(item_type):
    def convert(name, value):
        if not isinstance(value, list) or not all(isinstance(v, item_type) for v in value):
            raise _bad(f"'{value}' is not a list of {item_type.__name__} for {name}.")
        return value
    return convert


def dictionary(name, value):
    if not isinstance(value, dict):
        raise _bad(f"'{value}' is not a dictionary for {name}.")
    return value


def normal_only(name, value):
    if value != "normal":
        raise _bad(f"{name} '{value}' is not supported; only 'normal'.")
    return value


def fixed_ips(name, value):
    convert = list_of(dict)
    for entry in convert(name, value):
        unknown = set(entry) - {"subnet_id", "ip_address"}
        if unknown or not entry:
            raise _bad(f"A fixed IP takes subnet_id and/or ip_address, not "
                       f"{', '.join(sorted(unknown)) or 'nothing'}.")
        for key, item in entry.items():
            string(64)(f"{name} {key}", item)
    return value


@dataclasses.dataclass(frozen=True)
class Attribute:
    name: str          # as in the API
    field: str         # as the core takes it
    convert: object    # (name, value) -> value, raising BadRequest
    post: bool = True
    put: bool = True
    required: bool = False


def _common():
    return [Attribute("name", "name", string()),
            Attribute("description", "description", string()),
            Attribute("project_id", "project_id", string(64), put=False),
            Attribute("tenant_id", "project_id", string(64), put=False)]


NETWORK = [
    *_common(),
    Attribute("admin_state_up", "admin_state_up", boolean),
    Attribute("shared", "shared", boolean),
    Attribute("mtu", "mtu", integer),
    Attribute("router:external", "router_external", boolean),
    Attribute("provider:network_type", "network_type", string(16), put=False),
    Attribute("provider:physical_network", "physical_network", optional_string(64),
              put=False),
    Attribute("provider:segmentation_id", "segmentation_id", optional_integer, put=False),
]

SUBNET = [
    *_common(),
    Attribute("network_id", "network_id", string(36), put=False, required=True),
    Attribute("cidr", "cidr", string(64), put=False, required=True),
    Attribute("ip_version", "ip_version", integer, put=False),
    Attribute("gateway_ip", "gateway_ip", optional_string(64)),
    Attribute("allocation_pools", "allocation_pools", list_of(dict)),
    Attribute("dns_nameservers", "dns_nameservers", list_of(str)),
    Attribute("host_routes", "host_routes", list_of(dict)),
    Attribute("enable_dhcp", "enable_dhcp", boolean),
]

PORT = [
    *_common(),
    Attribute("network_id", "network_id", string(36), put=False, required=True),
    Attribute("admin_state_up", "admin_state_up", boolean),
    Attribute("mac_address", "mac_address", string(32), put=False),
    Attribute("fixed_ips", "fixed_ips", fixed_ips),
    Attribute("device_id", "device_id", string()),
    Attribute("device_owner", "device_owner", string()),
    Attribute("binding:host_id", "binding_host_id", string()),
    Attribute("binding:profile", "binding_profile", dictionary),
    Attribute("binding:vnic_type", "vnic_type", normal_only),
    Attribute("security_groups", "security_groups", sg_rules.convert_uuid_list),
    Attribute("port_security_enabled", "port_security_enabled", boolean),
]

SECURITY_GROUP = [
    *_common(),
    Attribute("stateful", "stateful", boolean),
]

SECURITY_GROUP_RULE = [
    Attribute("description", "description", string()),
    Attribute("project_id", "project_id", string(64), put=False),
    Attribute("tenant_id", "project_id", string(64), put=False),
    Attribute("security_group_id", "security_group_id", sg_rules.convert_uuid_or_none,
              put=False, required=True),
    Attribute("direction", "direction", sg_rules.convert_direction, put=False,
              required=True),
    Attribute("ethertype", "ethertype", sg_rules.convert_ethertype, put=False),
    Attribute("protocol", "protocol", sg_rules.convert_protocol, put=False),
    Attribute("port_range_min", "port_range_min", sg_rules.convert_port, put=False),
    Attribute("port_range_max", "port_range_max", sg_rules.convert_port, put=False),
    Attribute("remote_ip_prefix", "remote_ip_prefix", sg_rules.convert_prefix, put=False),
    # Not checked for a UUID's form: Neutron looks it up, so a bad one is a 404.
    Attribute("remote_group_id", "remote_group_id", optional_string(255), put=False),
]


def read_body(req, resource, spec, method):
    """The ``{resource: {...}}`` body as ``{api name: converted value}``."""
    return _values(_document(req), resource, spec, method)


def read_bodies(req, resource, collection, spec):
    """A POST's resources, each as ``read_body`` gives it, and whether the request was a
    bulk one (``{collection: [{...}, ...]}``, as Neutron accepts for networks, subnets
    and ports)."""
    body = _document(req)
    if isinstance(body, dict) and set(body) == {collection}:
        items = body[collection]
        if not isinstance(items, list) or not items:
            raise errors.BadRequest("Resources required", "BadRequest")
        return [_values({resource: item}, resource, spec, "POST") for item in items], True
    return [_values(body, resource, spec, "POST")], False


def _document(req):
    return api_body.read_json(req, malformed="Malformed request body: not JSON.",
                              error_type="MalformedRequestBody")


def _values(body, resource, spec, method):
    if not isinstance(body, dict) or not isinstance(body.get(resource), dict):
        raise errors.BadRequest(f"Resource body required: expected "
                                f'{{"{resource}": {{...}}}}.', "BadRequest")
    if set(body) != {resource}:
        extra = ", ".join(sorted(set(body) - {resource}))
        raise errors.BadRequest(f"Unrecognized attribute(s) '{extra}'", "BadRequest")
    allowed = {attr.name: attr for attr in spec
               if (attr.post if method == "POST" else attr.put)}
    known = {attr.name for attr in spec}
    values = {}
    for name, value in body[resource].items():
        if name not in allowed:
            if name in known or name in ("id", "status"):
                raise errors.BadRequest(f"Attribute '{name}' not allowed in {method}",
                                        "BadRequest")
            raise errors.BadRequest(f"Unrecognized attribute(s) '{name}'", "BadRequest")
        values[name] = allowed[name].convert(name, value)
    if method == "POST":
        missing = [attr.name for attr in spec if attr.required and attr.name not in values]
        if missing:
            raise _bad(f"Failed to parse request. Required attribute '{missing[0]}' not "
                       f"specified")
    if values.get("project_id", values.get("tenant_id")) != values.get(
            "tenant_id", values.get("project_id")):
        raise _bad("project_id and tenant_id do not match.")
    return values


def fields_of(values, spec):
    """API names → the core's keyword arguments (``tenant_id`` folded into project_id)."""
    by_name = {attr.name: attr.field for attr in spec}
    return {by_name[name]: value for name, value in values.items()}
