"""The Linux-bridge host network: the ``agent.network.host.HostNetwork`` of real hosts
(the libvirt driver's), built by ``agent.network.plug``."""
import logging

from agent.network import host, plug

LOG = logging.getLogger(__name__)


class LinuxBridgeNetwork(host.HostNetwork):
    """A Linux bridge per network (VXLAN or flat behind it), DHCP in a namespace, port
    filters in nftables: ``agent.network.plug``."""

    def __init__(self, conf):
        self.conf = conf
        self.plugger = plug.NetworkPlugger(conf)

    def init_host(self):
        self.plugger.cleanup_stale()

    def plug(self, port, client):
        return self.plugger.plug(port, client)

    def unplug(self, port_id):
        self.plugger.unplug(port_id)

    def plugged_port_ids(self):
        """Guests' ports: a router's (``network:`` owners, the L3 role's) are not."""
        return {port_id for network_id in self.plugger.plugged_networks()
                for port_id, port in plug.Registry(self.conf.state_path,
                                                   network_id).ports.items()
                if not port.get("device_owner", "").startswith("network:")}

    def refresh(self, client):
        for network_id in self.plugger.plugged_networks():
            try:
                self.plugger.refresh(network_id, client)
            except Exception:
                LOG.exception("Refreshing network %s on this host failed", network_id)

    def refresh_filters(self, client):
        for network_id in self.plugger.plugged_networks():
            try:
                self.plugger.refresh_filters(network_id, client)
            except Exception:
                LOG.exception("Refreshing the port filters of network %s on this host "
                              "failed", network_id)
