"""dnsmasq's files as the DHCP host side writes and reads them."""
from agent.network import dhcp


def test_stale_leases_are_those_no_host_line_serves():
    hosts = ["fa:16:3e:00:00:01,host-10-0-0-3,10.0.0.3"]
    leases = ["1795609841 fa:16:3e:00:00:01 10.0.0.3 host-10-0-0-3 01:fa:16:3e:00:00:01",
              # the address went to another port (another MAC): the old lease is stale
              "1795609870 fa:16:3e:00:00:02 10.0.0.4 host-10-0-0-4 01:fa:16:3e:00:00:02",
              # a client that sent no client id
              "1795609871 fa:16:3e:00:00:03 10.0.0.5 * *",
              ""]
    assert dhcp.stale_leases(leases, hosts) == [
        ("10.0.0.4", "fa:16:3e:00:00:02", "01:fa:16:3e:00:00:02"),
        ("10.0.0.5", "fa:16:3e:00:00:03", None)]


def test_a_lease_of_the_same_mac_on_another_address_is_stale():
    hosts = ["fa:16:3e:00:00:01,host-10-0-0-9,10.0.0.9"]
    leases = ["1795609841 fa:16:3e:00:00:01 10.0.0.3 host-10-0-0-3 *"]
    assert dhcp.stale_leases(leases, hosts) == [("10.0.0.3", "fa:16:3e:00:00:01", None)]
