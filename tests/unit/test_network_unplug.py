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


def test_unplugs_waiting_for_the_network_go_in_one_batch(tmp_path, monkeypatch):
    """Ports whose unplug waits while another holds the network's lock are unplugged by
    that one: one filter swap and one DHCP reload for all of them, every tap removed."""
    import threading

    conf = types.SimpleNamespace(state_path=str(tmp_path), host="h1",
                                 network=types.SimpleNamespace(local_ip=None))
    monkeypatch.setattr(plug.filters, "PortFilters", lambda conf: types.SimpleNamespace(
        port_security=False))
    registry = plug.Registry(str(tmp_path), "net-1")
    registry.ports = {f"p{i}": {"id": f"p{i}"} for i in range(6)}
    registry.dhcp_subnet_ids = ["s1"]
    registry.save()
    removed, reloaded, protected = [], [], []
    first_inside, release_first = threading.Event(), threading.Event()

    def slow_reload(self, ports, subnet_ids):
        reloaded.append(sorted(p["id"] for p in ports))
        if len(reloaded) == 1:          # the first unplug holds the lock a while
            first_inside.set()
            release_first.wait(5)

    monkeypatch.setattr(bridge, "delete_link", removed.append)
    monkeypatch.setattr(dhcp.DhcpServer, "reload_hosts", slow_reload)
    plugger = plug.NetworkPlugger(conf)
    monkeypatch.setattr(plugger, "_protect", lambda registry: protected.append(1))
    first = threading.Thread(target=plugger.unplug, args=("p0",))
    first.start()
    assert first_inside.wait(5)
    waiting = [threading.Thread(target=plugger.unplug, args=(f"p{i}",)) for i in (1, 2, 3)]
    for thread in waiting:
        thread.start()
    while len(plugger._unplugging) < 4:     # all three wait for the lock
        threading.Event().wait(0.01)
    release_first.set()
    for thread in [first, *waiting]:
        thread.join(5)
    assert sorted(removed) == sorted(bridge.tap_name(f"p{i}") for i in range(4))
    assert reloaded == [["p1", "p2", "p3", "p4", "p5"], ["p4", "p5"]]
    assert len(protected) == 2 and not plugger._unplugging
    assert set(plug.Registry(str(tmp_path), "net-1").ports) == {"p4", "p5"}
