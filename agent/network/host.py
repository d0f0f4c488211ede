"""The host side of the guests' networks, as one small interface the agent composes with
its virt driver (as Ironic composes a driver from small interfaces): a new hypervisor
needs no network code, a new network back end no hypervisor code.

The agent plugs a port here before its guest boots and unplugs it after the guest is
gone; the virt driver only puts the guest's NIC where ``plug`` said (the ``bridge`` and
``tap`` of the port's ``network_info`` entry). What each port may send and receive is
the host network's business too: port security and security groups (see
``agent.network.filters``).

``client`` is a ``contract.clients.network.NetworkClient`` with a token.
"""
import abc


class HostNetwork(abc.ABC):
    """What the agent needs from the host's network back end."""

    @abc.abstractmethod
    def init_host(self):
        """At start: remove what networks without ports left here, and bring the port
        filters of the others in line with the configuration."""

    @abc.abstractmethod
    def plug(self, port, client):
        """Bind ``port`` to this host and wire it here, its filters in place, before its
        guest boots; returns ``{"bridge", "tap", "mtu", "port"}``: where the guest's NIC
        goes, and the port as bound."""

    @abc.abstractmethod
    def unplug(self, port_id):
        """Forget ``port_id`` here, and whatever its network no longer needs.
        Idempotent."""

    @abc.abstractmethod
    def plugged_port_ids(self):
        """IDs of the guests' ports wired on this host (for reconciliation at start);
        a router's ports (device_owner network:*) are the L3 role's, not counted."""

    @abc.abstractmethod
    def refresh(self, client):
        """Periodic: catch the networks wired here up with the network service (tunnel
        peers on other hosts, DHCP options, port filters)."""

    @abc.abstractmethod
    def refresh_filters(self, client):
        """Periodic, about every second: make the port filters here (security groups)
        what the network service says now."""

