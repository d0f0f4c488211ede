"""Address management: pools, gateway exclusion, exhaustion, freeing, MACs."""
import ipaddress
import random

import pytest

from controller.network import ipam


def net(cidr):
    return ipam.parse_cidr(cidr)


def addr(text):
    return ipaddress.ip_address(text)


def test_default_gateway_is_first_usable_address():
    assert ipam.default_gateway(net("10.0.0.0/24")) == addr("10.0.0.1")


def test_default_pools_cover_usable_range_minus_gateway():
    pools = ipam.default_pools(net("10.0.0.0/24"), addr("10.0.0.1"))
    assert [p.as_dict() for p in pools] == [{"start": "10.0.0.2", "end": "10.0.0.254"}]


def test_default_pools_split_around_a_gateway_in_the_middle():
    pools = ipam.default_pools(net("10.0.0.0/29"), addr("10.0.0.3"))
    assert [p.as_dict() for p in pools] == [
        {"start": "10.0.0.1", "end": "10.0.0.2"}, {"start": "10.0.0.4", "end": "10.0.0.6"}]


def test_without_gateway_the_pool_is_the_whole_usable_range():
    pools = ipam.default_pools(net("192.168.5.0/30"), None)
    assert [p.as_dict() for p in pools] == [{"start": "192.168.5.1", "end": "192.168.5.2"}]


@pytest.mark.parametrize("cidr,error", [
    ("10.0.0.1/24", "10.0.0.0/24"),      # host bits set: the proper CIDR is suggested
    ("10.0.0.0/31", "too small"),
    ("fd00::/64", "IPv4"),
    ("banana", "not a valid"),
])
def test_bad_cidrs_are_refused(cidr, error):
    with pytest.raises(ipam.IpamError, match=error):
        ipam.parse_cidr(cidr)


def test_gateway_must_be_usable():
    with pytest.raises(ipam.IpamError):
        ipam.check_gateway(net("10.0.0.0/24"), addr("10.0.0.255"))
    with pytest.raises(ipam.IpamError):
        ipam.check_gateway(net("10.0.0.0/24"), addr("10.0.1.1"))


def test_given_pools_are_sorted_and_checked():
    pools = ipam.parse_pools(net("10.0.0.0/24"),
                             [{"start": "10.0.0.100", "end": "10.0.0.110"},
                              {"start": "10.0.0.10", "end": "10.0.0.20"}], addr("10.0.0.1"))
    assert [p.as_dict()["start"] for p in pools] == ["10.0.0.10", "10.0.0.100"]


@pytest.mark.parametrize("pools,error_type", [
    ([{"start": "10.0.0.10", "end": "10.0.0.20"}, {"start": "10.0.0.20", "end": "10.0.0.30"}],
     "OverlappingAllocationPools"),
    ([{"start": "10.0.0.200", "end": "10.0.1.5"}], "OutOfBoundsAllocationPool"),
    ([{"start": "10.0.0.0", "end": "10.0.0.5"}], "OutOfBoundsAllocationPool"),
    ([{"start": "10.0.0.9", "end": "10.0.0.2"}], "InvalidInput"),
    ([{"start": "10.0.0.1", "end": "10.0.0.9"}], "GatewayConflictWithAllocationPools"),
    ([{"start": "10.0.0.2"}], "InvalidInput"),
])
def test_bad_pools_are_refused(pools, error_type):
    with pytest.raises(ipam.IpamError) as info:
        ipam.parse_pools(net("10.0.0.0/24"), pools, addr("10.0.0.1"))
    assert info.value.error_type == error_type


def test_next_free_skips_used_and_gateway_and_runs_through_pools():
    network = net("10.0.0.0/29")
    pools = ipam.default_pools(network, addr("10.0.0.1"))
    used = set()
    got = []
    for _ in range(5):
        address = ipam.next_free(pools, used)
        used.add(address)
        got.append(address)
    assert got == ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"]
    assert "10.0.0.1" not in got


def test_exhaustion_is_a_409_ip_address_generation_failure():
    pools = ipam.default_pools(net("10.0.0.0/30"), addr("10.0.0.1"))
    with pytest.raises(ipam.AddressExhausted) as info:
        ipam.next_free(pools, {"10.0.0.2"})
    assert (info.value.status, info.value.error_type) == (409, "IpAddressGenerationFailure")


def test_a_freed_address_is_handed_out_again():
    pools = ipam.default_pools(net("10.0.0.0/29"), addr("10.0.0.1"))
    used = {"10.0.0.2", "10.0.0.3", "10.0.0.4"}
    used.discard("10.0.0.3")
    assert ipam.next_free(pools, used) == "10.0.0.3"


def test_fixed_address_may_be_outside_pools_but_not_the_gateway_or_broadcast():
    network = net("10.0.0.0/24")
    assert ipam.check_fixed_address(network, addr("10.0.0.1"), "10.0.0.250") == "10.0.0.250"
    for bad in ("10.0.0.1", "10.0.0.255", "10.0.0.0", "10.0.1.7", "nope"):
        with pytest.raises(ipam.IpamError):
            ipam.check_fixed_address(network, addr("10.0.0.1"), bad)


def test_generated_macs_have_the_openstack_prefix_and_vary():
    rng = random.Random(7)
    macs = {ipam.generate_mac(rng) for _ in range(200)}
    assert len(macs) > 190
    for mac in macs:
        assert mac.startswith("fa:16:3e:")
        assert ipam.parse_mac(mac) == mac


@pytest.mark.parametrize("bad", ["01:00:5e:00:00:01", "00:00:00:00:00:00", "fa:16:3e:1:2:3",
                                 "zz:16:3e:01:02:03", "fa:16:3e:01:02"])
def test_parse_mac_refuses_non_unicast_or_malformed(bad):
    with pytest.raises(ipam.IpamError):
        ipam.parse_mac(bad)


def test_parse_mac_normalises_case_and_dashes():
    assert ipam.parse_mac("FA-16-3E-0A-0B-0C") == "fa:16:3e:0a:0b:0c"
