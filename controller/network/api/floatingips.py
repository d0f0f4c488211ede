"""``/v2.0/floatingips`` (Neutron's router extension, floating IP half)."""
import falcon

from controller import policy
from controller.db.base import isotime
from controller.network.api import attributes, common, query
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

VIEW = {
    "id": lambda row: row.id,
    "description": lambda row: row.description,
    "tenant_id": lambda row: row.project_id,
    "project_id": lambda row: row.project_id,
    "floating_network_id": lambda row: row.floating_network_id,
    "floating_ip_address": lambda row: row.floating_ip_address,
    "router_id": lambda row: row.router_id,
    "port_id": lambda row: row.fixed_port_id,
    "fixed_ip_address": lambda row: row.fixed_ip_address,
    "status": lambda row: "ACTIVE" if row.fixed_port_id else "DOWN",
    "created_at": lambda row: isotime(row.created_at),
    "updated_at": lambda row: isotime(row.updated_at or row.created_at),
    "revision_number": lambda row: row.revision_number,
}


def render(row, params):
    return query.trim({name: read(row) for name, read in VIEW.items()}, params)


def target(row):
    return {"project_id": row.project_id}


class FloatingIps:
    def __init__(self, runtime, operations):
        self.runtime = runtime
        self.operations = operations

    def on_get(self, req, resp):
        auth = req.context.auth
        rows = [row for row in self.operations.list_floating_ips(common.scope_of(auth))
                if policy.allowed(auth, "get_floatingip", target(row))]
        resp.media = query.apply([render(row, {}) for row in rows], req.params,
                                 "floatingips",
                                 common.collection_url(self.runtime, "floatingips"), VIEW)

    def on_post(self, req, resp):
        auth = req.context.auth
        values = attributes.read_body(req, "floatingip", FLOATINGIP, "POST")
        project_id = common.owner_project(auth, values)
        common.authorize(auth, "create_floatingip", {"project_id": project_id}, values,
                         ("floating_ip_address",))
        fields = attributes.fields_of(values, FLOATINGIP)
        fields.pop("project_id", None)
        row = self.operations.create_floating_ip(project_id, common.scope_of(auth),
                                                 **fields)
        resp.status = falcon.HTTP_201
        resp.media = {"floatingip": render(row, {})}


class FloatingIp:
    def __init__(self, runtime, operations):
        self.runtime = runtime
        self.operations = operations

    def _find(self, auth, floating_ip_id):
        row = self.operations.get_floating_ip(floating_ip_id, common.scope_of(auth))
        if not policy.allowed(auth, "get_floatingip", target(row)):
            raise floating_ip_not_found(floating_ip_id)
        return row

    def on_get(self, req, resp, floatingip_id):
        resp.media = {"floatingip": render(self._find(req.context.auth, floatingip_id),
                                           req.params)}

    def on_put(self, req, resp, floatingip_id):
        auth = req.context.auth
        values = attributes.read_body(req, "floatingip", FLOATINGIP, "PUT")
        policy.authorize(auth, "update_floatingip",
                         target(self._find(auth, floatingip_id)))
        row = self.operations.update_floating_ip(
            floatingip_id, common.scope_of(auth), port_id=values.get("port_id", UNSET),
            fixed_ip_address=values.get("fixed_ip_address"),
            description=values.get("description"))
        resp.media = {"floatingip": render(row, {})}

    def on_delete(self, req, resp, floatingip_id):
        auth = req.context.auth
        policy.authorize(auth, "delete_floatingip",
                         target(self._find(auth, floatingip_id)))
        self.operations.delete_floating_ip(floatingip_id, common.scope_of(auth))
        resp.status = falcon.HTTP_204
