"""Unplugging a port of a network this host serves no DHCP for leaves DHCP alone (a
server on a network without a DHCP port used to fail its delete: no hosts file)."""
import types

from agent.network import bridge, dhcp, plug


def test_unplug_without_a_dhcp_server_here(tmp_path, monkeypatch):
    conf = types.SimpleNamespace(state_path=str(tmp_path), host="h1",
                                 network=types.SimpleNamespace(local_ip=None))
    monkeypatch.setattr(plug.filters, "PortFilters", lambda conf: types.SimpleNamespace(
        port_security=False))
    registry = plug.Registry(str(tmp_path), "net-1")
    registry.ports = {"p1": {"id": "p1"}, "p2": {"id": "p2"}}
    registry.save()
    removed, reloaded = [], []
    monkeypatch.setattr(bridge, "delete_link", removed.append)
    monkeypatch.setattr(dhcp.DhcpServer, "reload_hosts",
                        lambda self, ports, subnet_ids: reloaded.append(self))
    plugger = plug.NetworkPlugger(conf)
    monkeypatch.setattr(plugger, "_protect", lambda registry: None)
    plugger.unplug("p1")
    assert removed == [bridge.tap_name("p1")] and reloaded == []
    assert set(plug.Registry(str(tmp_path), "net-1").ports) == {"p2"}
    # With DHCP served here, its hosts file follows.
    registry = plug.Registry(str(tmp_path), "net-1")
    registry.dhcp_subnet_ids = ["s1"]
    registry.save()
    plugger.unplug("p2x")
    registry.ports["p3"] = {"id": "p3"}
    registry.save()
    plugger.unplug("p2")
    assert len(reloaded) == 1
