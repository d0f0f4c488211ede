"""``/os-networks`` and ``/os-tenant-networks`` (Nova's proxies to the network service,
microversions 2.1 to 2.35; 404 after): list and show the networks the caller sees, in
the shape Nova gives them; what only nova-network did answers 410 Gone."""
from controller import policy
from controller.api import errors
from controller.compute.operations.networks import NetworkProxy

PROXY_UNTIL = (2, 35)
# Nova's view: nova-network's fields, all empty now but the id and the name (label).
FIELDS = ("id", "cidr", "netmask", "gateway", "broadcast", "dns1", "dns2", "cidr_v6",
          "gateway_v6", "label", "netmask_v6")
ADMIN_FIELDS = ("created_at", "updated_at", "deleted_at", "deleted", "injected", "bridge",
                "vlan", "vpn_public_address", "vpn_public_port", "vpn_private_address",
                "dhcp_start", "project_id", "host", "bridge_interface", "multi_host",
                "priority", "rxtx_base", "mtu", "dhcp_server", "enable_dhcp",
                "share_address")


def _check_version(req):
    if req.context.microversion > PROXY_UNTIL:
        raise errors.NotFound("The resource could not be found.")


def _gone():
    raise errors.Gone("This API only works with nova-network, which was removed: use "
                      "the network service.")


def network_view(network, is_admin):
    fields = FIELDS + ADMIN_FIELDS if is_admin else FIELDS
    body = dict.fromkeys(fields)
    body.update(id=network["id"], label=network.get("name"))
    return body


def tenant_network_view(network):
    # "None" as a string: what Nova's proxy has always answered for the cidr.
    return {"id": network["id"], "cidr": "None", "label": network.get("name")}


class Networks:
    def __init__(self, svc):
        self.proxy = NetworkProxy(svc)

    def on_get(self, req, resp):
        _check_version(req)
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-networks:list")
        resp.media = {"networks": [network_view(n, auth.is_admin)
                                   for n in self.proxy.list(auth.token)]}

    def on_post(self, req, resp):
        _check_version(req)
        _gone()


class Network:
    def __init__(self, svc):
        self.proxy = NetworkProxy(svc)

    def on_get(self, req, resp, network_id):
        _check_version(req)
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-networks:show")
        resp.media = {"network": network_view(self.proxy.get(auth.token, network_id),
                                              auth.is_admin)}

    def on_delete(self, req, resp, network_id):
        _check_version(req)
        _gone()


class NetworkAction:
    """``/os-networks/{id}/action`` and ``/os-networks/add``: nova-network's."""

    def __init__(self, svc):
        pass

    def on_post(self, req, resp, **_):
        _check_version(req)
        _gone()


class TenantNetworks:
    def __init__(self, svc):
        self.proxy = NetworkProxy(svc)

    def on_get(self, req, resp):
        _check_version(req)
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-tenant-networks:list")
        resp.media = {"networks": [tenant_network_view(n)
                                   for n in self.proxy.list(auth.token)]}

    def on_post(self, req, resp):
        _check_version(req)
        _gone()


class TenantNetwork:
    def __init__(self, svc):
        self.proxy = NetworkProxy(svc)

    def on_get(self, req, resp, network_id):
        _check_version(req)
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-tenant-networks:show")
        resp.media = {"network": tenant_network_view(self.proxy.get(auth.token,
                                                                    network_id))}

    def on_delete(self, req, resp, network_id):
        _check_version(req)
        _gone()
