"""``/v2.0/floatingips`` (Neutron's router extension, floating IP half)."""
from controller import policy
from controller.network.api import attributes, common, owned
from controller.network.floating_ips import UNSET, floating_ip_not_found

FLOATINGIP = [
    attributes.Attribute("description", "description", attributes.string()),
    attributes.Attribute("project_id", "project_id", attributes.string(64), put=False),
    attributes.Attribute("tenant_id", "project_id", attributes.string(64), put=False),
    attributes.Attribute("floating_network_id", "floating_network_id",
                         attributes.string(36), put=False, required=True),
    attributes.Attribute("subnet_id", "subnet_id", attributes.optional_string(36),
                         put=False),
    attributes.Attribute("floating_ip_address", "floating_ip_address",
                         attributes.optional_string(64), put=False),
    attributes.Attribute("port_id", "port_id", attributes.optional_string(36)),
    attributes.Attribute("fixed_ip_address", "fixed_ip_address",
                         attributes.optional_string(64)),
]

VIEW = owned.standard_view(
    description=lambda row: row.description,
    tenant_id=lambda row: row.project_id,
    project_id=lambda row: row.project_id,
    floating_network_id=lambda row: row.floating_network_id,
    floating_ip_address=lambda row: row.floating_ip_address,
    router_id=lambda row: row.router_id,
    port_id=lambda row: row.fixed_port_id,
    fixed_ip_address=lambda row: row.fixed_ip_address,
    status=lambda row: "ACTIVE" if row.fixed_port_id else "DOWN",
)
KIND = owned.Kind("floatingip", "floatingips", VIEW, floating_ip_not_found)


class FloatingIps:
    def __init__(self, runtime, operations):
        self.runtime = runtime
        self.operations = operations

    def on_get(self, req, resp):
        resp.media = KIND.listing(self.runtime, req, self.operations.list_floating_ips(
            common.scope_of(req.context.auth)))

    def on_post(self, req, resp):
        auth = req.context.auth
        values = attributes.read_body(req, "floatingip", FLOATINGIP, "POST")
        project_id = common.owner_project(auth, values)
        common.authorize(auth, "create_floatingip", {"project_id": project_id}, values,
                         ("floating_ip_address",))
        fields = attributes.fields_of(values, FLOATINGIP)
        fields.pop("project_id", None)
        KIND.created(resp, self.operations.create_floating_ip(
            project_id, common.scope_of(auth), **fields))


class FloatingIp:
    def __init__(self, runtime, operations):
        self.runtime = runtime
        self.operations = operations

    def on_get(self, req, resp, floatingip_id):
        KIND.show(req, resp, floatingip_id, self.operations.get_floating_ip)

    def on_put(self, req, resp, floatingip_id):
        auth = req.context.auth
        values = attributes.read_body(req, "floatingip", FLOATINGIP, "PUT")
        policy.authorize(auth, "update_floatingip", owned.target(
            KIND.find(auth, floatingip_id, self.operations.get_floating_ip)))
        row = self.operations.update_floating_ip(
            floatingip_id, common.scope_of(auth), port_id=values.get("port_id", UNSET),
            fixed_ip_address=values.get("fixed_ip_address"),
            description=values.get("description"))
        resp.media = {"floatingip": KIND.render(row, {})}

    def on_delete(self, req, resp, floatingip_id):
        KIND.delete(req, resp, floatingip_id, self.operations.get_floating_ip,
                    self.operations.delete_floating_ip)
