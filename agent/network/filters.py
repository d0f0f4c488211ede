"""What each port wired on this host may send and receive: the one place the host
network applies port filters, at the same moments for both kinds — when a port is
plugged or unplugged, at refresh and at start:

* port security: a port sends only from its own MAC and addresses
  (``agent.network.port_security``, bridge family);
* security groups: the rules of the port's groups, stateful, in the network's inet
  table (``agent.network.security_groups``). Their data (the groups and the remote
  groups' members) comes from the network API with ``gather``.

Both are on unless ``[network] port_security`` is off, as Neutron's agents tie the
firewall to port security.
"""
from agent.network import port_security
from agent.network import security_groups


class PortFilters:
    def __init__(self, conf):
        self.port_security = conf.network.port_security
        # {network id: digest of the security group table last applied}; empty after a
        # restart, so the first refresh rebuilds every table from the API.
        self._applied = {}

    def apply(self, network_id, ports, groups=None, members=None):
        """Make the filters of ``network_id`` those of ``ports`` (its ports on this
        host, dicts with id, mac_address, fixed_ips, security_groups,
        port_security_enabled) with ``groups`` and ``members`` as ``gather`` returns
        them; in place before ``plug`` returns, so before the guest exists. The
        security group table is swapped only when it changed."""
        if not self.port_security:
            return
        port_security.protect(network_id, ports)
        commands = security_groups.ruleset(network_id, ports, groups or {}, members or {})
        digest = security_groups.digest(commands)
        if self._applied.get(network_id) != digest:
            security_groups.apply(network_id, commands)
            self._applied[network_id] = digest

    def gather(self, client, ports):
        """(groups, members) of ``ports`` from the network API; nothing to read when
        the filters are off."""
        if not self.port_security:
            return {}, {}
        return security_groups.gather(client, ports)

    def reconcile(self, network_id, ports):
        """At start: port security as ``apply`` makes it (the security group table
        stays as it was until the first refresh reads the API), and the filters of a
        feature turned off removed."""
        if self.port_security:
            port_security.protect(network_id, ports)
        else:
            self.remove(network_id)

    def forget(self, network_id):
        """The network's filters went (``remove``): the next ``apply`` builds anew."""
        self._applied.pop(network_id, None)

    @staticmethod
    def remove(network_id):
        """The network's last port here is gone: none of its filters stay."""
        port_security.remove(network_id)
        security_groups.remove(network_id)
