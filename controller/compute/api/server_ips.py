"""``/servers/{id}/ips`` and ``/servers/{id}/ips/{network}``: a server's addresses by
network label, each with its version and address only (Nova's ips API)."""
from controller.api import errors
from controller.compute.api import common, server_views
from controller.compute.operations import server_ips


class _Base:
    def __init__(self, svc):
        self.svc = svc

    def addresses(self, req, server_id, rule):
        auth = req.context.auth
        info = server_ips.network_info(self.svc.db, auth, server_id,
                                       common.authorizer(auth, rule))
        return server_views.addresses(info, extended=False)


class Ips(_Base):
    def on_get(self, req, resp, server_id):
        resp.media = {"addresses": self.addresses(req, server_id,
                                                  "os_compute_api:ips:index")}


class NetworkIps(_Base):
    def on_get(self, req, resp, server_id, network_label):
        addresses = self.addresses(req, server_id, "os_compute_api:ips:show")
        if network_label not in addresses:
            raise errors.NotFound("Instance is not a member of specified network")
        resp.media = {network_label: addresses[network_label]}
