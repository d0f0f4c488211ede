"""``/v2.0/routers`` and its ``add_router_interface`` / ``remove_router_interface``
actions (Neutron's router, ext-gw-mode and extraroute extensions)."""
import ipaddress

from controller import policy
from controller.api import body as api_body
from controller.api import errors
from controller.network.api import attributes, common, owned
from controller.network.routers import router_not_found

GATEWAY = "external_gateway_info"


def _bad(message):
    return errors.BadRequest(f"Invalid input for operation: {message}", "InvalidInput")


def gateway_info(name, value):
    """``{"network_id", "enable_snat"?, "external_fixed_ips"?}``, or None/{} for none."""
    if value is None or value == {}:
        return None
    attributes.dictionary(name, value)
    unknown = set(value) - {"network_id", "enable_snat", "external_fixed_ips"}
    if unknown:
        raise _bad(f"Unexpected keys supplied: {', '.join(sorted(unknown))}")
    if "network_id" not in value:
        raise _bad(f"Validation of dictionary's keys failed. Expected keys: "
                   f"{{'network_id'}} Provided keys: {set(value) or 'set()'}")
    info = {"network_id": attributes.string(36)("network_id", value["network_id"])}
    if "enable_snat" in value:
        info["enable_snat"] = attributes.boolean("enable_snat", value["enable_snat"])
    if "external_fixed_ips" in value:
        info["external_fixed_ips"] = attributes.fixed_ips("external_fixed_ips",
                                                          value["external_fixed_ips"])
    return info


def routes(name, value):
    if value is None:
        return []
    attributes.list_of(dict)(name, value)
    result = []
    for route in value:
        if set(route) != {"destination", "nexthop"}:
            raise _bad(f"Validation of dictionary's keys failed. Expected keys: "
                       f"{{'destination', 'nexthop'}} Provided keys: {set(route)}")
        try:
            destination = ipaddress.ip_network(str(route["destination"]))
        except ValueError:
            raise _bad(f"'{route['destination']}' is not a valid IP subnet") from None
        try:
            nexthop = ipaddress.ip_address(str(route["nexthop"]))
        except ValueError:
            raise _bad(f"'{route['nexthop']}' is not a valid IP address") from None
        entry = {"destination": str(destination), "nexthop": str(nexthop)}
        if entry in result:
            raise _bad(f"Duplicate items in the list: '{route}'")
        result.append(entry)
    return result


ROUTER = [
    attributes.Attribute("name", "name", attributes.string()),
    attributes.Attribute("description", "description", attributes.string()),
    attributes.Attribute("project_id", "project_id", attributes.string(64), put=False),
    attributes.Attribute("tenant_id", "project_id", attributes.string(64), put=False),
    attributes.Attribute("admin_state_up", "admin_state_up", attributes.boolean),
    attributes.Attribute(GATEWAY, GATEWAY, gateway_info),
    attributes.Attribute("routes", "routes", routes, post=False),
]

VIEW = owned.standard_view(**{
    "name": lambda row: row.name,
    "description": lambda row: row.description,
    "tenant_id": lambda row: row.project_id,
    "project_id": lambda row: row.project_id,
    "admin_state_up": lambda row: row.admin_state_up,
    "status": lambda row: "ACTIVE",
    GATEWAY: lambda row: None if row.gw_port is None else {
        "network_id": row.gw_port.network_id, "enable_snat": row.enable_snat,
        "external_fixed_ips": [{"subnet_id": ip.subnet_id, "ip_address": ip.ip_address}
                               for ip in row.gw_port.fixed_ips]},
    "routes": lambda row: list(row.routes),
})
KIND = owned.Kind("router", "routers", VIEW, router_not_found)


def _authorize(auth, action, policy_target, values):
    """The action, and the gateway's sub-attributes that are admins' to choose."""
    policy.authorize(auth, action, policy_target)
    info = values.get(GATEWAY)
    if info:
        policy.authorize(auth, f"{action}:{GATEWAY}", policy_target)
        for key in ("enable_snat", "external_fixed_ips"):
            if key in info:
                policy.authorize(auth, f"{action}:{GATEWAY}:{key}", policy_target)


class Routers:
    def __init__(self, runtime, operations):
        self.runtime = runtime
        self.operations = operations

    def on_get(self, req, resp):
        resp.media = KIND.listing(self.runtime, req, self.operations.list_routers(
            common.scope_of(req.context.auth)))

    def on_post(self, req, resp):
        auth = req.context.auth
        values = attributes.read_body(req, "router", ROUTER, "POST")
        project_id = common.owner_project(auth, values)
        _authorize(auth, "create_router", {"project_id": project_id}, values)
        fields = attributes.fields_of(values, ROUTER)
        fields.pop("project_id", None)
        KIND.created(resp, self.operations.create_router(project_id, common.scope_of(auth),
                                                         **fields))


class Router:
    def __init__(self, runtime, operations):
        self.runtime = runtime
        self.operations = operations

    def on_get(self, req, resp, router_id):
        KIND.show(req, resp, router_id, self.operations.get_router)

    def on_put(self, req, resp, router_id):
        auth = req.context.auth
        values = attributes.read_body(req, "router", ROUTER, "PUT")
        _authorize(auth, "update_router",
                   owned.target(KIND.find(auth, router_id, self.operations.get_router)),
                   values)
        row = self.operations.update_router(router_id, common.scope_of(auth),
                                            attributes.fields_of(values, ROUTER))
        resp.media = {"router": KIND.render(row, {})}

    def on_delete(self, req, resp, router_id):
        KIND.delete(req, resp, router_id, self.operations.get_router,
                    self.operations.delete_router)


def _interface_body(req):
    """``{"subnet_id"?, "port_id"?}``: the body of both interface actions."""
    body = api_body.read_json(req, malformed="Malformed request body: not JSON.",
                              error_type="MalformedRequestBody")
    if not isinstance(body, dict):
        raise errors.BadRequest("Bad router request: Either subnet_id or port_id must be "
                                "specified.", "BadRequest")
    unknown = set(body) - {"subnet_id", "port_id"}
    if unknown:
        raise errors.BadRequest(f"Bad router request: Unrecognized attribute(s) "
                                f"'{', '.join(sorted(unknown))}'.", "BadRequest")
    for key, value in body.items():
        if not isinstance(value, str):
            raise _bad(f"'{value}' is not a valid UUID for {key}.")
    return {"subnet_id": body.get("subnet_id"), "port_id": body.get("port_id")}


class RouterInterface:
    """PUT ``/v2.0/routers/{id}/add_router_interface`` or ``.../remove_router_interface``."""

    def __init__(self, runtime, operations, action):
        self.runtime = runtime
        self.operations = operations
        self.action = action

    def on_put(self, req, resp, router_id):
        auth = req.context.auth
        wanted = _interface_body(req)
        row = KIND.find(auth, router_id, self.operations.get_router)
        policy.authorize(auth, self.action, owned.target(row))
        operation = (self.operations.add_interface if self.action == "add_router_interface"
                     else self.operations.remove_interface)
        resp.media = operation(router_id, common.scope_of(auth), **wanted)
