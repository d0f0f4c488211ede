"""``/v2.0/ports``."""
import functools

import falcon

from controller import policy
from controller.network import bulk as network_bulk
from controller.network import core as network_core
from controller.network.port_addresses import DHCP_OWNER
from controller.network.api import attributes, common, query, views

GUARDED = ("device_owner", "mac_address", "binding:host_id", "binding:profile")


def target(auth, port=None, network=None, device_owner=None, project_id=None):
    """The policy target of an existing port, or of one about to be created."""
    network = network or port.network
    device_owner = port.device_owner if port is not None else (device_owner or "")
    network_visible = network.shared or network.project_id == auth.project_id
    return {"project_id": port.project_id if port is not None else project_id,
            "shared": network.shared,
            "network:project_id": network.project_id,
            "network_device": device_owner.startswith("network:"),
            "dhcp_port_of_visible_network":
                device_owner == DHCP_OWNER and network_visible}


def render(port, params):
    return query.trim(views.render(views.PORT, port), params)


def _authorize_change(auth, action, policy_target, values):
    common.authorize(auth, action, policy_target, values, GUARDED)
    if any("ip_address" in entry for entry in values.get("fixed_ips") or ()):
        policy.authorize(auth, f"{action}:fixed_ips:ip_address", policy_target)


def _single(params, key):
    value = params.get(key)
    return value if isinstance(value, str) else None


class Ports:
    def __init__(self, runtime, core, port_ops):
        self.runtime = runtime
        self.core = core
        self.port_ops = port_ops

    def on_get(self, req, resp):
        auth = req.context.auth
        rows = self.core.list_ports(common.scope_of(auth),
                                    network_id=_single(req.params, "network_id"),
                                    device_ids=query.values(req.params, "device_id") or None)
        visible = [render(row, {}) for row in rows
                   if policy.allowed(auth, "get_port", target(auth, row))]
        resp.media = query.apply(visible, req.params, "ports",
                                 common.collection_url(self.runtime, "ports"), views.PORT)

    def on_post(self, req, resp):
        auth = req.context.auth
        items, bulk = attributes.read_bodies(req, "port", "ports", attributes.PORT)
        scope = common.scope_of(auth)
        creates = [self._create(auth, scope, values) for values in items]
        ports = network_bulk.create_all(
            creates, lambda port: self.port_ops.delete_port(port.id, scope))
        resp.status = falcon.HTTP_201
        shown = [render(port, {}) for port in ports]
        resp.media = {"ports": shown} if bulk else {"port": shown[0]}

    def _create(self, auth, scope, values):
        """The port's creation, once the caller may make it."""
        project_id = common.owner_project(auth, values)
        network = common.find_network(self.core, auth, values["network_id"])
        _authorize_change(auth, "create_port",
                          target(auth, network=network, project_id=project_id,
                                 device_owner=values.get("device_owner")), values)
        fields = attributes.fields_of(values, attributes.PORT)
        for key in ("project_id", "network_id", "vnic_type"):
            fields.pop(key, None)
        return functools.partial(self.port_ops.create_port, project_id, network.id, scope,
                                 **fields)


class Port:
    def __init__(self, runtime, core, port_ops):
        self.runtime = runtime
        self.core = core
        self.port_ops = port_ops

    def _find(self, auth, port_id):
        port = self.core.get_port(port_id, common.scope_of(auth))
        if not policy.allowed(auth, "get_port", target(auth, port)):
            raise network_core.not_found("port", port_id)
        return port

    def on_get(self, req, resp, port_id):
        resp.media = {"port": render(self._find(req.context.auth, port_id), req.params)}

    def on_put(self, req, resp, port_id):
        auth = req.context.auth
        values = attributes.read_body(req, "port", attributes.PORT, "PUT")
        port = self._find(auth, port_id)
        policy_target = target(auth, port)
        if "device_owner" in values:
            policy_target["network_device"] = values["device_owner"].startswith("network:")
        _authorize_change(auth, "update_port", policy_target, values)
        changes = attributes.fields_of(values, attributes.PORT)
        changes.pop("vnic_type", None)
        port = self.port_ops.update_port(port_id, common.scope_of(auth), changes)
        resp.media = {"port": render(port, {})}

    def on_delete(self, req, resp, port_id):
        auth = req.context.auth
        policy.authorize(auth, "delete_port", target(auth, self._find(auth, port_id)))
        self.port_ops.delete_port(port_id, common.scope_of(auth))
        resp.status = falcon.HTTP_204
