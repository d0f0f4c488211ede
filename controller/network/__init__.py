"""The network service: a Neutron v2 subset (networks, subnets, ports) with IPAM and
VXLAN segment allocation. The hosts' side (bridges, DHCP) lives in ``agent.network``."""
