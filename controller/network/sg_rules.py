"""Security group rules as Neutron checks them, before any row is written: protocol
names and numbers, port ranges, ICMP type/code, ``remote_ip_prefix`` against
``ethertype``, and which two rules are the same rule.

Pure: the operations call ``check`` with the converted request values and
``same_rule`` with stored ones.
"""
import ipaddress
import uuid

from contract.security_group_rules import (ICMP_PROTOCOLS, ICMPV6, PORT_PROTOCOLS,
                                           PROTOCOLS, protocol_number)
from controller.api import errors

DIRECTIONS = ("ingress", "egress")
ETHERTYPES = ("IPv4", "IPv6")
ANY = "any"


def _bad(message, error_type="InvalidInput"):
    return errors.BadRequest(message, error_type)


def convert_protocol(name, value):
    """The protocol as Neutron stores it: None (any), a lower-case name, or a number
    0–255 as a string."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _invalid_protocol(value)
    text = str(value).strip().lower()
    if text == ANY:
        return None
    if text in PROTOCOLS:
        return text
    if text.isdigit() and 0 <= int(text) <= 255:
        return str(int(text))
    raise _invalid_protocol(value)


def _invalid_protocol(value):
    return _bad(f"Security group rule protocol {value} not supported. Only protocol "
                f"values [None, {', '.join(sorted(PROTOCOLS))}] and integer "
                f"representations [0 to 255] are supported.",
                "SecurityGroupRuleInvalidProtocol")


def convert_port(name, value):
    if value is None:
        return None
    if isinstance(value, bool):
        raise _bad(f"Invalid value for port {value}", "SecurityGroupInvalidPortValue")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _bad(f"Invalid value for port {value}",
                   "SecurityGroupInvalidPortValue") from None
    if not 0 <= number <= 65535:
        raise _bad(f"Invalid value for port {value}", "SecurityGroupInvalidPortValue")
    return number


def convert_direction(name, value):
    if value not in DIRECTIONS:
        raise _bad(f"Invalid input for {name}. Reason: {value!r} is not in "
                   f"{list(DIRECTIONS)}.")
    return value


def convert_ethertype(name, value):
    for ethertype in ETHERTYPES:
        if isinstance(value, str) and value.lower() == ethertype.lower():
            return ethertype
    raise _bad(f"Invalid input for {name}. Reason: {value!r} is not in "
               f"{list(ETHERTYPES)}.")


def convert_prefix(name, value):
    """A CIDR as Neutron keeps it (host bits as given, e.g. 10.0.0.5/24); a bare
    address becomes a /32 or /128."""
    if value in (None, ""):
        return None
    try:
        network = ipaddress.ip_network(str(value), strict=False)
        interface = ipaddress.ip_interface(str(value))
    except ValueError:
        raise _bad(f"Invalid input for remote_ip_prefix. Reason: '{value}' is not a "
                   f"valid IP subnet.") from None
    return f"{interface.ip}/{network.prefixlen}"


def convert_uuid_or_none(name, value):
    if value is None:
        return None
    if not isinstance(value, str) or not _is_uuid(value):
        raise _bad(f"Invalid input for {name}. Reason: '{value}' is not a valid UUID.")
    return value


def convert_uuid_list(name, value):
    if not isinstance(value, list):
        raise _bad(f"Invalid input for {name}. Reason: '{value}' is not a list.")
    for item in value:
        if not isinstance(item, str) or not _is_uuid(item):
            raise _bad(f"Invalid input for operation: '{item}' is not an integer or "
                       f"uuid.")
    return list(dict.fromkeys(value))


def _is_uuid(value):
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def check(rule):
    """Raise Neutron's 400 for a rule (dict of converted values: direction, ethertype,
    protocol, port_range_min, port_range_max, remote_ip_prefix, remote_group_id) whose
    parts contradict each other."""
    if rule.get("remote_ip_prefix") and rule.get("remote_group_id"):
        raise _bad("Only remote_ip_prefix or remote_group_id may be provided.",
                   "SecurityGroupRemoteGroupAndRemoteIpPrefix")
    prefix = rule.get("remote_ip_prefix")
    if prefix is not None:
        version = ipaddress.ip_network(prefix, strict=False).version
        if f"IPv{version}" != rule["ethertype"]:
            raise _bad(f"Conflicting value ethertype {rule['ethertype']} for CIDR "
                       f"{prefix}", "SecurityGroupRuleParameterConflict")
    number = protocol_number(rule.get("protocol"))
    if number == ICMPV6 and rule["ethertype"] == "IPv4":
        raise _bad(f"Invalid ethertype IPv4 for protocol {rule['protocol']}.",
                   "SecurityGroupEthertypeConflictWithProtocol")
    _check_ports(rule, number)


def _check_ports(rule, number):
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if low is None and high is None:
        return
    if number is None:
        raise _bad("Must also specify protocol if port range is given.",
                   "SecurityGroupProtocolRequiredWithPorts")
    if number in PORT_PROTOCOLS:
        if low == 0 or high == 0:
            raise _bad("Invalid value for port 0", "SecurityGroupInvalidPortValue")
        if low is None or high is None or low > high:
            raise _bad("For TCP/UDP protocols, port_range_min must be <= port_range_max",
                       "SecurityGroupInvalidPortRange")
    elif number in ICMP_PROTOCOLS:
        for attr, field, value in (("port_range_min", "type", low),
                                   ("port_range_max", "code", high)):
            if value is not None and not 0 <= value <= 255:
                raise _bad(f"Invalid value for ICMP {field} ({attr}) {value}. It must be "
                           f"0 to 255.", "SecurityGroupInvalidIcmpValue")
        if low is None:
            raise _bad(f"ICMP code (port-range-max) {high} is provided but ICMP type "
                       f"(port-range-min) is missing.", "SecurityGroupMissingIcmpType")
    else:
        raise _bad(f"Invalid protocol {rule['protocol']} for port range, only supported "
                   f"for TCP, UDP, UDPLITE, SCTP and DCCP.",
                   "SecurityGroupInvalidProtocolForPort")


def _canonical(rule):
    """What makes a rule the same rule: protocol by number, ``0.0.0.0/0`` and ``::/0``
    as no prefix, a prefix by its network, and the tcp/udp range 1–65535 as any port."""
    prefix = rule.get("remote_ip_prefix")
    if prefix is not None:
        network = ipaddress.ip_network(prefix, strict=False)
        prefix = None if network.prefixlen == 0 else str(network)
    number = protocol_number(rule.get("protocol"))
    ports = (rule.get("port_range_min"), rule.get("port_range_max"))
    if number in PORT_PROTOCOLS and ports == (1, 65535):
        ports = (None, None)
    return (rule["direction"], rule["ethertype"], number, ports, prefix,
            rule.get("remote_group_id"))


def same_rule(one, other):
    return _canonical(one) == _canonical(other)
