"""Options of the network service and of its host side ([network]).

The API reads the allocation options; the agent reads the host options (``local_ip``,
``physical_interface_mappings``, ``dnsmasq``). Both sides share the one group, as
Neutron's server and Linux-bridge agent share ``[vxlan]``.
"""
from oslo_config import cfg

GROUP = "network"

server_opts = [
    cfg.StrOpt("default_network_type", default="vxlan", choices=("vxlan", "flat"),
               help="Type of a network created without provider:network_type."),
    cfg.ListOpt("vni_ranges", default=["1:16777215"],
                help="VXLAN network identifiers handed out to vxlan networks, as "
                     "<first>:<last> ranges."),
    cfg.IntOpt("global_physnet_mtu", default=1500, min=68,
               help="MTU of the underlying network. Flat networks get it; vxlan "
                    "networks get it minus the 50 bytes of VXLAN over IPv4 headers."),
    cfg.IntOpt("dhcp_lease_duration", default=86400, min=120,
               help="Seconds a DHCP lease lasts (dnsmasq's lease time)."),
    cfg.StrOpt("dns_domain", default="openstacklocal",
               help="Domain name DHCP hands to guests."),
    cfg.IntOpt("quota_network", default=100, min=-1,
               help="Default networks per project (-1: unlimited)."),
    cfg.IntOpt("quota_subnet", default=100, min=-1,
               help="Default subnets per project (-1: unlimited)."),
    cfg.IntOpt("quota_port", default=500, min=-1,
               help="Default ports per project (-1: unlimited)."),
    cfg.IntOpt("quota_security_group", default=10, min=-1,
               help="Default security groups per project, its default group included "
                    "(-1: unlimited)."),
    cfg.IntOpt("quota_security_group_rule", default=100, min=-1,
               help="Default security group rules per project (-1: unlimited)."),
    cfg.IntOpt("quota_router", default=10, min=-1,
               help="Default routers per project (-1: unlimited)."),
    cfg.IntOpt("quota_floatingip", default=50, min=-1,
               help="Default floating IPs per project (-1: unlimited)."),
    cfg.BoolOpt("notify_nova_on_port_data_changes", default=True,
                help="Tell compute (os-server-external-events, network-changed) when a "
                     "server's port or a floating IP on it changes, so that the server's "
                     "addresses show it. Needs [service_credentials] of an admin "
                     "service user."),
]

host_opts = [
    cfg.IPOpt("local_ip", version=4,
              help="This host's address on the tunnel network: the source of its VXLAN "
                   "packets, and where other hosts send a network's traffic for the "
                   "ports bound here. Unset: vxlan networks stay on this host (no "
                   "VXLAN device), which suits the all-in-one."),
    cfg.DictOpt("physical_interface_mappings", default={},
                help="physical_network:interface pairs that flat networks' bridges "
                     "would attach to. Empty: flat networks stay inside this host."),
    cfg.PortOpt("vxlan_port", default=4789, help="UDP port of VXLAN."),
    cfg.BoolOpt("port_security", default=True,
                help="Drop what guests send from another MAC or IP address than their "
                     "port's, DHCP server replies and IPv6 router advertisements they "
                     "send (nftables, bridge family; needs nft, Debian: nftables). "
                     "Turning it off removes the rules at the agent's next start."),
    cfg.StrOpt("dnsmasq", default="dnsmasq", help="The dnsmasq executable."),
    cfg.StrOpt("dhcp_release", default="dhcp_release",
               help="dnsmasq's dhcp_release executable (Debian: dnsmasq-utils): frees "
                    "the lease of a deleted port, so that its address can go to a new "
                    "port (another MAC) at once."),
    cfg.StrOpt("nsenter", default="nsenter",
               help="The nsenter executable that starts dnsmasq inside a qdhcp- "
                    "namespace."),
]


def register_opts(conf):
    conf.register_opts(server_opts + host_opts, group="network")


def list_opts():
    return [(GROUP, server_opts + host_opts)]
