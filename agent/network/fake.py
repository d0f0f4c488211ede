"""A host network in memory, for the fake driver's simulated hosts (tests, benchmarks):
ports are remembered as plugged, nothing is built."""
import threading

from agent.network import host


class FakeHostNetwork(host.HostNetwork):
    def __init__(self, conf=None):
        self._plugged = {}         # port id → network id
        self._lock = threading.Lock()

    def init_host(self):
        """Nothing was built, so nothing is left over."""

    def plug(self, port, client):
        with self._lock:
            self._plugged[port["id"]] = port["network_id"]
        return {"bridge": "brq" + port["network_id"][:11], "tap": "tap" + port["id"][:11],
                "mtu": (port.get("binding:vif_details") or {}).get("mtu"), "port": port}

    def unplug(self, port_id):
        with self._lock:
            self._plugged.pop(port_id, None)

    def plugged_port_ids(self):
        with self._lock:
            return set(self._plugged)

    def refresh(self, client):
        """Nothing to catch up with: no bridges, tunnels or DHCP here."""

    def refresh_filters(self, client):
        """No filters here."""
