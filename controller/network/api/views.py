"""How networks, subnets and ports look in the API (Neutron's attribute names).

Each resource is a table of attribute → how to read it from the row, so the same
table tells the query code which attributes may be filtered and sorted on.
"""
from controller.db.base import isotime
from controller.network.port_addresses import DHCP_OWNER

PROVIDER_ATTRIBUTES = ("provider:network_type", "provider:physical_network",
                       "provider:segmentation_id")

_STANDARD = {
    "id": lambda row: row.id,
    "name": lambda row: row.name,
    "description": lambda row: row.description,
    "tenant_id": lambda row: row.project_id,
    "project_id": lambda row: row.project_id,
    "created_at": lambda row: isotime(row.created_at),
    "updated_at": lambda row: isotime(row.updated_at or row.created_at),
    "revision_number": lambda row: row.revision_number,
}

NETWORK = {
    **_STANDARD,
    "admin_state_up": lambda row: row.admin_state_up,
    "status": lambda row: "ACTIVE",
    "subnets": lambda row: [subnet.id for subnet in row.subnets],
    "shared": lambda row: row.shared,
    "mtu": lambda row: row.mtu,
    "router:external": lambda row: row.router_external,
    "provider:network_type": lambda row: row.network_type,
    "provider:physical_network": lambda row: row.physical_network,
    "provider:segmentation_id": lambda row: row.segmentation_id,
}

SUBNET = {
    **_STANDARD,
    "network_id": lambda row: row.network_id,
    "ip_version": lambda row: row.ip_version,
    "cidr": lambda row: row.cidr,
    "gateway_ip": lambda row: row.gateway_ip,
    "allocation_pools": lambda row: list(row.allocation_pools),
    "dns_nameservers": lambda row: list(row.dns_nameservers),
    "host_routes": lambda row: list(row.host_routes),
    "enable_dhcp": lambda row: row.enable_dhcp,
    "ipv6_ra_mode": lambda row: None,
    "ipv6_address_mode": lambda row: None,
    "subnetpool_id": lambda row: None,
}


def port_status(row):
    """ACTIVE once bound to a host (the DHCP port is served on every host), else DOWN."""
    if row.admin_state_up and (row.binding_host_id or row.device_owner == DHCP_OWNER):
        return "ACTIVE"
    return "DOWN"


def vif_details(row):
    """What the bound host needs to wire the port, as Neutron's agents get it from
    ``get_device_details``: here hosts ask this API with the port owner's token, who
    may not see the network's provider attributes."""
    if not row.binding_host_id:
        return {}
    net = row.network
    return {"connectivity": "l2", "port_filter": False, "mtu": net.mtu,
            "network_type": net.network_type, "segmentation_id": net.segmentation_id,
            "physical_network": net.physical_network}


PORT = {
    **_STANDARD,
    "network_id": lambda row: row.network_id,
    "mac_address": lambda row: row.mac_address,
    "admin_state_up": lambda row: row.admin_state_up,
    "status": port_status,
    "device_id": lambda row: row.device_id,
    "device_owner": lambda row: row.device_owner,
    "fixed_ips": lambda row: [{"subnet_id": ip.subnet_id, "ip_address": ip.ip_address}
                              for ip in row.fixed_ips],
    "binding:host_id": lambda row: row.binding_host_id,
    "binding:profile": lambda row: dict(row.binding_profile),
    "binding:vnic_type": lambda row: "normal",
    "binding:vif_type": lambda row: "bridge" if row.binding_host_id else "unbound",
    "binding:vif_details": vif_details,
    "security_groups": lambda row: row.security_group_ids,
    "port_security_enabled": lambda row: row.port_security_enabled,
}

SECURITY_GROUP_RULE = {
    **{key: read for key, read in _STANDARD.items() if key != "name"},
    "security_group_id": lambda row: row.security_group_id,
    "direction": lambda row: row.direction,
    "ethertype": lambda row: row.ethertype,
    "protocol": lambda row: row.protocol,
    "port_range_min": lambda row: row.port_range_min,
    "port_range_max": lambda row: row.port_range_max,
    "remote_ip_prefix": lambda row: row.remote_ip_prefix,
    "remote_group_id": lambda row: row.remote_group_id,
}

SECURITY_GROUP = {
    **_STANDARD,
    "stateful": lambda row: row.stateful,
    "security_group_rules": lambda row: [render(SECURITY_GROUP_RULE, rule)
                                         for rule in row.rules],
}


def render(table, row, hidden=()):
    return {name: read(row) for name, read in table.items() if name not in hidden}
