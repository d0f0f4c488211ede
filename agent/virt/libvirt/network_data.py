"""``network_data.json`` of the config drive, written from the manager's network_info the
way Nova's ``netutils.get_network_metadata`` writes it, so cloud-init and the tiny
image configure static addresses without DHCP."""
import ipaddress

from agent.virt.libvirt.domain import tap_name


def network_data(network_info):
    """``{"links": [...], "networks": [...], "services": [...]}`` for ``network_info``."""
    links, networks, services = [], [], []
    for vif in network_info or ():
        network = vif["network"]
        link_id = tap_name(vif["id"])
        links.append({"id": link_id, "vif_id": vif["id"], "type": "bridge",
                      "ethernet_mac_address": vif["address"],
                      "mtu": network.get("mtu")})
        for subnet in network.get("subnets", ()):
            cidr = ipaddress.ip_network(subnet["cidr"])
            dns = [{"type": "dns", "address": address} for address in subnet.get("dns", ())]
            for address in dns:
                if address not in services:
                    services.append(address)
            for ip in subnet.get("ips", ()):
                entry = {"id": f"network{len(networks)}", "type": f"ipv{cidr.version}",
                         "link": link_id, "network_id": network["id"],
                         "ip_address": ip["address"], "netmask": str(cidr.netmask),
                         "routes": [], "services": dns}
                if subnet.get("gateway"):
                    default = "0.0.0.0" if cidr.version == 4 else "::"
                    entry["routes"].append({"network": default, "netmask": default,
                                            "gateway": subnet["gateway"]})
                networks.append(entry)
    return {"links": links, "networks": networks, "services": services}
