"""The protocols a security group rule may name, as Neutron knows them: what the network
API checks rules against and what the agents turn them into."""

# Neutron's IP_PROTOCOL_MAP: the names a rule may use for a protocol, and their numbers.
PROTOCOLS = {"ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0,
             "icmp": 1, "icmpv6": 58, "igmp": 2, "ipip": 4, "ipv6-encap": 41,
             "ipv6-frag": 44, "ipv6-icmp": 58, "ipv6-nonxt": 59, "ipv6-opts": 60,
             "ipv6-route": 43, "ospf": 89, "pgm": 113, "rsvp": 46, "sctp": 132,
             "tcp": 6, "udp": 17, "udplite": 136, "vrrp": 112}
# Those whose rules take a port range: tcp, udp, dccp, sctp, udplite.
PORT_PROTOCOLS = {6, 17, 33, 132, 136}
# Those whose rules take an ICMP type (port_range_min) and code (port_range_max).
ICMP_PROTOCOLS = {1, 58}
ICMPV6 = 58


def protocol_number(protocol):
    """None (any) or the number of a rule's protocol (a name or a number as a string,
    as the network API stores it)."""
    if protocol is None:
        return None
    return PROTOCOLS[protocol] if protocol in PROTOCOLS else int(protocol)
