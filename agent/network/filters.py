"""What each port wired on this host may send: the one place the host network applies
port filters. Today port security (a port sends only from its own MAC and addresses,
``agent.network.port_security``); security groups (the rules of a port's groups, in
nftables) belong here next, applied to the same ports at the same moments: when a port
is plugged or unplugged, at refresh and at start."""
from agent.network import port_security


class PortFilters:
    def __init__(self, conf):
        self.port_security = conf.network.port_security

    def apply(self, network_id, ports):
        """Make the filters of ``network_id`` those of ``ports`` (its ports on this
        host, dicts with id, mac_address, fixed_ips); in place before ``plug`` returns,
        so before the guest exists."""
        if self.port_security:
            port_security.protect(network_id, ports)

    def reconcile(self, network_id, ports):
        """At start: as ``apply``, and remove the filters of a feature turned off."""
        if self.port_security:
            port_security.protect(network_id, ports)
        else:
            port_security.remove(network_id)

    @staticmethod
    def remove(network_id):
        """The network's last port here is gone: none of its filters stay."""
        port_security.remove(network_id)
