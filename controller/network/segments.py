"""Network segments without a database: which network types exist, their MTU, and
which VXLAN network identifier (VNI) a new vxlan network gets.

The unique (segmentation_id, network_type) constraint in the database is what stops two
networks sharing a VNI; ``next_free_vni`` only chooses.
"""
from controller.network.ipam import IpamError

NETWORK_TYPES = ("vxlan", "flat")
MAX_VNI = 2 ** 24 - 1
# IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) headers.
VXLAN_OVERHEAD = 50


class SegmentError(IpamError):
    """Bad provider attributes or no segment left."""


def parse_vni_ranges(ranges):
    """``["1:1000", "2000:2100"]`` → ``[(1, 1000), (2000, 2100)]``, checked and sorted."""
    parsed = []
    for text in ranges:
        try:
            low, high = (int(part) for part in str(text).split(":"))
        except ValueError:
            raise SegmentError(f"VNI range '{text}' is not <first>:<last>.") from None
        if not 1 <= low <= high <= MAX_VNI:
            raise SegmentError(f"VNI range '{text}' is outside 1:{MAX_VNI}.")
        parsed.append((low, high))
    return sorted(parsed)


def next_free_vni(ranges, used):
    """The lowest VNI of ``ranges`` not in ``used`` (a set of ints)."""
    for low, high in ranges:
        vni = low
        while vni <= high:
            if vni not in used:
                return vni
            vni += 1
    raise SegmentError("Unable to create the network. No tenant network is available "
                       "for allocation.", "NoNetworkAvailable", 503)


def check_network_type(network_type):
    if network_type not in NETWORK_TYPES:
        raise SegmentError(f"Network type value '{network_type}' not supported; "
                           f"supported: {', '.join(NETWORK_TYPES)}.")
    return network_type


def check_segment(network_type, segmentation_id, physical_network):
    """Provider attributes given by an admin, checked against the network type.
    Returns (segmentation_id, physical_network) as stored."""
    if network_type == "vxlan":
        if physical_network:
            raise SegmentError("provider:physical_network specified for vxlan network.")
        if segmentation_id is None:
            return None, None
        if isinstance(segmentation_id, bool):
            raise SegmentError(f"Invalid segmentation id {segmentation_id!r}.")
        try:
            vni = int(segmentation_id)
        except (TypeError, ValueError):
            raise SegmentError(f"Invalid segmentation id {segmentation_id!r}.") from None
        if not 1 <= vni <= MAX_VNI:
            raise SegmentError(f"Segmentation id {vni} out of range 1:{MAX_VNI}.")
        return vni, None
    if segmentation_id is not None:
        raise SegmentError("provider:segmentation_id specified for flat network.")
    if not physical_network or not isinstance(physical_network, str):
        raise SegmentError("provider:physical_network required for flat network.")
    return None, physical_network


def mtu_for(network_type, physnet_mtu):
    """What a guest on the network can send: the physical MTU less any tunnel headers."""
    return physnet_mtu - VXLAN_OVERHEAD if network_type == "vxlan" else physnet_mtu
