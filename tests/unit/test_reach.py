"""Which namespace ``pocketstack ssh``/``exec`` use to reach a server."""
import pytest

from controller.cmd import allinone_process, reach

SERVER = "server-1"
PORT = {"id": "port-1", "network_id": "net-1",
        "fixed_ips": [{"subnet_id": "sub-1", "ip_address": "10.0.0.5"}]}
ROUTER_PORT = {"id": "rport", "device_id": "router-1", "network_id": "net-1",
               "fixed_ips": [{"subnet_id": "sub-1", "ip_address": "10.0.0.1"}]}
FIP = {"router_id": "router-1", "floating_ip_address": "172.24.4.20"}


class FakeAdmin:
    def __init__(self, floating=True):
        self.floating = floating

    def get(self, service, path, **params):
        if path == "/v2.0/floatingips":
            return {"floatingips": [FIP] if self.floating else []}
        if params.get("device_owner") == "network:router_interface":
            return {"ports": [ROUTER_PORT]}
        assert params == {"device_id": SERVER}
        return {"ports": [PORT]}


def test_floating_ip_from_the_router_namespace_first():
    namespaces = {"qrouter-router-1", "qdhcp-net-1"}
    assert reach.locate(FakeAdmin(), SERVER, namespaces) == ("qrouter-router-1",
                                                             "172.24.4.20")
    assert reach.locate(FakeAdmin(), SERVER, namespaces, prefer_fixed=True) == (
        "qdhcp-net-1", "10.0.0.5")


def test_fixed_ip_from_dhcp_or_router_namespace():
    assert reach.locate(FakeAdmin(floating=False), SERVER, {"qdhcp-net-1"}) == (
        "qdhcp-net-1", "10.0.0.5")
    assert reach.locate(FakeAdmin(floating=False), SERVER, {"qrouter-router-1"}) == (
        "qrouter-router-1", "10.0.0.5")


def test_no_namespace_here_is_a_clear_error():
    with pytest.raises(allinone_process.UpError, match="no namespace on this host reaches"):
        reach.locate(FakeAdmin(), SERVER, set())
