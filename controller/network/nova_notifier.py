"""Neutron's nova notifier: when a server's port or a floating IP on it changed, the
network service tells compute (``os-server-external-events``, ``network-changed``, as
the [service_credentials] service user), and compute refreshes the server's network
info. Sent once the change is committed; a compute that does not answer costs a warning,
never the change."""
import logging

from conf.api import public_url
from contract import exception
from contract.clients.service_user import ServiceCredentials
from controller.compute.siblings import SiblingClient

LOG = logging.getLogger(__name__)

EVENTS_PATH = "/v2.1/os-server-external-events"


class NovaNotifier:
    def __init__(self, runtime):
        conf = runtime.conf
        self.credentials = (ServiceCredentials.from_conf(conf)
                            if conf.network.notify_nova_on_port_data_changes else None)
        self.client = SiblingClient(runtime, public_url(conf) + "/compute",
                                    conf.compute.service_timeout, "compute")

    def network_changed(self, ports):
        """``ports``: the changed ports, as (id, device_id, device_owner); those of
        servers (``compute:*`` owners) become events."""
        events = [{"name": "network-changed", "server_uuid": device_id, "tag": port_id}
                  for port_id, device_id, owner in dict.fromkeys(ports)
                  if device_id and (owner or "").startswith("compute:")]
        if not events or self.credentials is None:
            return
        token = self.credentials.token()
        if token is None:
            return
        try:
            resp = self.client.request("POST", EVENTS_PATH, token, json={"events": events})
        except exception.ServiceUnavailable as exc:
            LOG.warning("Could not tell compute of port changes: %s", exc)
            return
        if resp.status_code not in (200, 207, 404):   # 404: the servers are gone
            LOG.warning("Compute answered %s to network-changed events %s: %s",
                        resp.status_code, events, resp.text[:200])
