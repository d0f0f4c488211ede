"""Plugging ports into this host: what compute calls before it boots a guest and after
it deletes one.

``NetworkPlugger(conf).plug(port, client)`` binds the port to this host, builds the
network's bridge (and VXLAN device), points the tunnel at the other hosts with ports on
the network and serves the port by DHCP. The guest's NIC is then a libvirt
``<interface type='bridge'>`` on the returned bridge with target dev = the returned tap.
``unplug(port_id)`` forgets the port, and when it was the network's last one here,
tears the network's host side down.

Which ports are plugged here is kept in ``<state_path>/network/<network-id>.json``, so
unplug needs no token and a restarted agent knows what it built.
"""
import contextlib
import glob
import json
import logging
import os

from oslo_concurrency import lockutils

from agent.network import bridge, dhcp, filters, metadata

LOG = logging.getLogger(__name__)

DHCP_OWNER = "network:dhcp"


def _lock(network_id):
    return lockutils.lock(f"pocketstack-network-{network_id}")


class Registry:
    """The ports of one network plugged on this host, and what was built for them."""

    def __init__(self, state_path, network_id):
        self.network_id = network_id
        self.path = os.path.join(state_path, "network", f"{network_id}.json")
        try:
            with open(self.path) as f:
                data = json.load(f)
        except FileNotFoundError:
            data = {}
        self.ports = data.get("ports", {})
        self.vni = data.get("vni")
        self.dhcp_subnet_ids = data.get("dhcp_subnet_ids", [])
        # The ports' groups and remote groups' members last read from the API, so that
        # unplug can rebuild the security group table without a token.
        self.groups = data.get("groups", {})
        self.members = data.get("members", {})

    def save(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"ports": self.ports, "vni": self.vni,
                       "dhcp_subnet_ids": self.dhcp_subnet_ids, "groups": self.groups,
                       "members": self.members}, f)
            # On disk before the rename: after a power cut the registry is the old one
            # or the new one, never an empty file that unplug and restart cannot read.
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def remember(self, port):
        self.ports[port["id"]] = {key: port.get(key, "") for key in (
            "id", "mac_address", "fixed_ips", "device_id", "device_owner")}
        self.ports[port["id"]].update(
            security_groups=port.get("security_groups", []),
            port_security_enabled=port.get("port_security_enabled", True))

    def remove(self):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    @staticmethod
    def network_ids(state_path):
        return [os.path.basename(path)[:-len(".json")]
                for path in glob.glob(os.path.join(state_path, "network", "*.json"))]


def cleanup(network_id, conf):
    """Remove everything this host built for ``network_id``: dnsmasq, the qdhcp-
    namespace, the veth, the VXLAN device, taps left on the bridge, the bridge, the port
    security rules, and the state files. Safe to call when some or all of it is already
    gone."""
    registry = Registry(conf.state_path, network_id)
    dhcp.DhcpServer(network_id, conf).destroy()
    bridge.remove_bridge(network_id)
    if registry.vni is not None:
        bridge.delete_link(bridge.vxlan_name(registry.vni))
    filters.PortFilters.remove(network_id)
    registry.remove()
    LOG.info("network %s: host side removed", network_id)


class NetworkPlugger:
    def __init__(self, conf):
        self.conf = conf
        self.host = conf.host
        self.local_ip = conf.network.local_ip
        self.filters = filters.PortFilters(conf)
        self._unplugging = set()    # ports whose unplug waits for its network's lock

    def plug(self, port, client):
        """Wire ``port`` (a port dict of the API) on this host; ``client`` is a
        ``contract.clients.network.NetworkClient`` with the caller's token.
        Returns {"bridge", "tap", "mtu", "port"}: the bridge and tap name for libvirt,
        the network's MTU for the guest NIC, and the port as bound."""
        port = self._bind(port, client)
        network_id = port["network_id"]
        details = port["binding:vif_details"]
        with _lock(network_id):
            registry = Registry(self.conf.state_path, network_id)
            registry.remember(port)
            registry.save()
            bridge_name = self._build(registry, details)
            self._sync(registry, client, bridge_name, details)
        return {"bridge": bridge_name, "tap": bridge.tap_name(port["id"]),
                "mtu": details["mtu"], "port": port}

    def refresh(self, network_id, client):
        """Catch up with the API: tunnel peers (hosts that got ports since) and DHCP
        options. ``plug`` does this; call it periodically for networks with ports
        here to learn of peers sooner."""
        with _lock(network_id):
            registry = Registry(self.conf.state_path, network_id)
            if not registry.ports:
                return
            local = [port for port in client.list_ports(network_id=network_id)
                     if port["id"] in registry.ports and port["binding:vif_details"]]
            if not local:
                return
            details = local[0]["binding:vif_details"]
            self._sync(registry, client, self._build(registry, details), details)

    def refresh_filters(self, network_id, client):
        """Make the network's filters what the API says now (the ports' groups and
        addresses, the remote groups' members); the table is swapped only when it
        changed. Called every second or so."""
        if not self.filters.port_security:
            return
        with _lock(network_id):
            registry = Registry(self.conf.state_path, network_id)
            if not registry.ports:
                return
            for port in client.list_ports(network_id=network_id):
                if port["id"] in registry.ports:
                    registry.remember(port)
            self._filter(registry, client)

    def unplug(self, port_id):
        """Forget ``port_id`` here: its tap goes (if libvirt left it), DHCP stops
        answering its MAC, and with the network's last port the host side goes. The
        unplugs of a network waiting for its lock go together, done by the first to get
        it: ten servers deleted at once swap the filters and reload DHCP once or twice,
        not ten times in a row."""
        self._unplugging.add(port_id)
        try:
            for network_id in Registry.network_ids(self.conf.state_path):
                with _lock(network_id):
                    if port_id not in self._unplugging:
                        return      # done with another unplug's batch
                    registry = Registry(self.conf.state_path, network_id)
                    if port_id not in registry.ports:
                        continue
                    self._unplug_together(registry, [other for other in registry.ports
                                                     if other in self._unplugging])
                    return
            bridge.delete_link(bridge.tap_name(port_id))
        finally:
            self._unplugging.discard(port_id)

    def _unplug_together(self, registry, port_ids):
        """Forget ``port_ids`` of the registry's network (its lock held)."""
        network_id = registry.network_id
        for port_id in port_ids:
            del registry.ports[port_id]
            bridge.delete_link(bridge.tap_name(port_id))
        if not registry.ports:
            cleanup(network_id, self.conf)
            self.filters.forget(network_id)
        else:
            registry.save()
            self._protect(registry)
            if registry.dhcp_subnet_ids:    # no DHCP server here otherwise
                dhcp.DhcpServer(network_id, self.conf).reload_hosts(
                    registry.ports.values(), set(registry.dhcp_subnet_ids))
        self._unplugging.difference_update(port_ids)

    def plugged_networks(self):
        """Networks with ports on this host, for a periodic ``refresh``."""
        return [network_id for network_id in Registry.network_ids(self.conf.state_path)
                if Registry(self.conf.state_path, network_id).ports]

    def cleanup_stale(self):
        """At start: remove the host side of networks left with no ports here (an
        interrupted teardown); on the others, make the port security rules those of
        their ports (or remove them, if it was turned off) and serve metadata again."""
        for network_id in Registry.network_ids(self.conf.state_path):
            with _lock(network_id):
                registry = Registry(self.conf.state_path, network_id)
                if not registry.ports:
                    cleanup(network_id, self.conf)
                    self.filters.forget(network_id)
                    continue
                self.filters.reconcile(network_id, list(registry.ports.values()))
                if registry.dhcp_subnet_ids:
                    metadata.resume(network_id, dhcp.namespace_name(network_id),
                                    registry.ports.values(), self.conf.host)

    # --- steps ---------------------------------------------------------------------

    def _bind(self, port, client):
        """Bind the port to this host, recording this host's tunnel address in
        binding:profile so that other hosts can reach the port's network here."""
        profile = dict(port.get("binding:profile") or {})
        if self.local_ip:
            profile["local_ip"] = self.local_ip
        else:
            profile.pop("local_ip", None)
        if port.get("binding:host_id") == self.host and profile == port.get("binding:profile"):
            return port
        return client.update_port(port["id"], **{"binding:host_id": self.host,
                                                 "binding:profile": profile})

    def _build(self, registry, details):
        """The bridge, and the VXLAN device or physical interface behind it."""
        name = bridge.ensure_bridge(registry.network_id, details["mtu"])
        if details["network_type"] == "vxlan" and self.local_ip:
            bridge.ensure_vxlan(name, details["segmentation_id"], self.local_ip,
                                self.conf.network.vxlan_port, details["mtu"])
            if registry.vni != details["segmentation_id"]:
                registry.vni = details["segmentation_id"]
                registry.save()
        elif details["network_type"] == "flat":
            interface = self.conf.network.physical_interface_mappings.get(
                details["physical_network"])
            if interface:
                bridge.attach(interface, name, isolated=True)
        return name

    def _protect(self, registry):
        """The filters of the network's ports here (``filters.PortFilters.apply``),
        with the groups last read from the API."""
        self.filters.apply(registry.network_id, list(registry.ports.values()),
                           registry.groups, registry.members)

    def _filter(self, registry, client):
        """Read the ports' groups from the API, keep them, and apply the filters."""
        registry.groups, registry.members = self.filters.gather(
            client, list(registry.ports.values()))
        registry.save()
        self._protect(registry)

    def _sync(self, registry, client, bridge_name, details):
        ports = client.list_ports(network_id=registry.network_id)
        for port in ports:
            if port["id"] in registry.ports:
                registry.remember(port)
        self._filter(registry, client)
        if details["network_type"] == "vxlan" and self.local_ip:
            peers = {port["binding:profile"].get("local_ip") for port in ports
                     if port["binding:host_id"] not in ("", self.host)}
            bridge.set_flood_peers(bridge.vxlan_name(details["segmentation_id"]),
                                   peers - {None, self.local_ip})
        server = dhcp.DhcpServer(registry.network_id, self.conf)
        dhcp_ports = [port for port in ports if port["device_owner"] == DHCP_OWNER]
        if dhcp_ports:
            subnets = client.list_subnets(network_id=registry.network_id)
            server.configure(bridge_name, dhcp_ports[0], subnets, details["mtu"],
                             registry.ports.values())
            registry.dhcp_subnet_ids = [subnet["id"] for subnet in subnets
                                        if subnet["enable_dhcp"]]
        else:
            server.destroy()
            registry.dhcp_subnet_ids = []
        registry.save()
