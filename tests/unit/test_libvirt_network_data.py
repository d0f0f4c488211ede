"""The config drive's network_data.json, in the shape Nova writes."""
from agent.virt.libvirt.network_data import network_data

PORT = "a1b2c3d4-e5f6-4711-8899-aabbccddeeff"


def test_static_ipv4_with_default_route_and_dns():
    info = [{"id": PORT, "address": "fa:16:3e:00:00:01",
             "network": {"id": "net-1", "bridge": "brq1", "mtu": 1450,
                         "subnets": [{"cidr": "10.0.0.0/24", "gateway": "10.0.0.1",
                                      "dns": ["10.0.0.2"],
                                      "ips": [{"address": "10.0.0.5", "version": 4}]}]}}]
    data = network_data(info)
    assert data["links"] == [{"id": "tapa1b2c3d4-e5", "vif_id": PORT, "type": "bridge",
                              "ethernet_mac_address": "fa:16:3e:00:00:01", "mtu": 1450}]
    (network,) = data["networks"]
    assert network["type"] == "ipv4"
    assert network["link"] == "tapa1b2c3d4-e5"
    assert network["network_id"] == "net-1"
    assert (network["ip_address"], network["netmask"]) == ("10.0.0.5", "255.255.255.0")
    assert network["routes"] == [{"network": "0.0.0.0", "netmask": "0.0.0.0",
                                  "gateway": "10.0.0.1"}]
    assert data["services"] == [{"type": "dns", "address": "10.0.0.2"}]


def test_ipv6_without_gateway_and_no_nics():
    info = [{"id": PORT, "address": "fa:16:3e:00:00:02",
             "network": {"id": "net-6", "bridge": "brq6",
                         "subnets": [{"cidr": "fd00::/64", "gateway": None,
                                      "ips": [{"address": "fd00::5", "version": 6}]}]}}]
    (network,) = network_data(info)["networks"]
    assert network["type"] == "ipv6"
    assert network["netmask"] == "ffff:ffff:ffff:ffff::"
    assert network["routes"] == []
    assert network_data([]) == {"links": [], "networks": [], "services": []}
