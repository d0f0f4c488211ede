"""An instance's metadata documents in Nova's formats: what a guest reads from its config
drive or from the metadata service at http://169.254.169.254/. One builder for both, so
a guest learns the same whichever way it looks.

Pure, and free of database imports: it works on the instance dict that crosses the bus
(``controller.compute.instances.to_primitive``, shape in ``agent.virt.driver``), so the
conductor builds the metadata service's documents with it and the agent its config
drive.
"""
import base64
import ipaddress


def link_id(port_id):
    """The guest NIC's name in network_data.json: its tap device, as the host names it
    (``agent.network.bridge.tap_name``) and as Nova names its vifs."""
    return "tap" + port_id[:11]


def keys(instance):
    """The instance's SSH keys as meta_data.json lists them."""
    if not instance["key_data"]:
        return []
    return [{"name": instance["key_name"], "type": "ssh", "data": instance["key_data"]}]


def meta_data(instance):
    """``openstack/<version>/meta_data.json``."""
    instance_keys = keys(instance)
    return {"uuid": instance["uuid"],
            "name": instance["name"],
            "hostname": instance["hostname"],
            "launch_index": instance["launch_index"],
            "availability_zone": instance["availability_zone"],
            "project_id": instance["project_id"],
            "meta": dict(instance["metadata"] or {}),
            "public_keys": {key["name"]: key["data"] for key in instance_keys},
            "keys": instance_keys,
            "devices": []}


def network_data(network_info):
    """``openstack/<version>/network_data.json`` (links, networks, services) from the
    instance's network_info, as Nova's ``netutils.get_network_metadata`` writes it:
    static addresses, so a guest can configure its NICs without DHCP."""
    links, networks, services = [], [], []
    for vif in network_info or ():
        network = vif["network"]
        link = vif.get("devname") or link_id(vif["id"])
        links.append({"id": link, "vif_id": vif["id"], "type": "bridge",
                      "ethernet_mac_address": vif["address"], "mtu": network.get("mtu")})
        for subnet in network.get("subnets", ()):
            cidr = ipaddress.ip_network(subnet["cidr"])
            dns = [{"type": "dns", "address": address} for address in subnet.get("dns", ())]
            services += [service for service in dns if service not in services]
            for ip in subnet.get("ips", ()):
                entry = {"id": f"network{len(networks)}", "type": f"ipv{cidr.version}",
                         "link": link, "network_id": network["id"],
                         "ip_address": ip["address"], "netmask": str(cidr.netmask),
                         "routes": [], "services": dns}
                if subnet.get("gateway"):
                    default = "0.0.0.0" if cidr.version == 4 else "::"
                    entry["routes"].append({"network": default, "netmask": default,
                                            "gateway": subnet["gateway"]})
                networks.append(entry)
    return {"links": links, "networks": networks, "services": services}


def first_ipv4(network_info):
    """The instance's first IPv4 address (EC2's local-ipv4), or None."""
    for vif in network_info or ():
        for subnet in vif["network"].get("subnets", ()):
            for ip in subnet.get("ips", ()):
                if ipaddress.ip_address(ip["address"]).version == 4:
                    return ip["address"]
    return None


def ec2_meta_data(instance):
    """The EC2 ``<version>/meta-data/`` tree cloud-init reads: directories are dicts,
    files strings. A directory's ``_name`` is shown next to its key in its parent's
    listing, as Nova lists public keys: ``0=<key name>``."""
    hostname = instance["hostname"] or ""
    tree = {"ami-launch-index": str(instance["launch_index"] or 0),
            "hostname": hostname,
            "local-hostname": hostname,
            "instance-id": instance["uuid"],
            "instance-type": (instance.get("flavor") or {}).get("name", ""),
            "placement": {"availability-zone": instance["availability_zone"] or ""}}
    local_ipv4 = first_ipv4(instance.get("network_info"))
    if local_ipv4:
        tree["local-ipv4"] = local_ipv4
    instance_keys = keys(instance)
    if instance_keys:
        tree["public-keys"] = {
            str(index): {"_name": key["name"], "openssh-key": key["data"]}
            for index, key in enumerate(instance_keys)}
    return tree


def documents(instance):
    """Everything the metadata service serves about ``instance``, JSON-serialisable (it
    crosses the bus): ``meta_data``, ``network_data``, ``vendor_data`` and
    ``vendor_data2`` (no vendor data providers: empty), ``ec2_meta_data``, and
    ``user_data`` as the instance keeps it (base64 text, or None)."""
    return {"meta_data": meta_data(instance),
            "network_data": network_data(instance.get("network_info")),
            "vendor_data": {},
            "vendor_data2": {},
            "ec2_meta_data": ec2_meta_data(instance),
            "user_data": instance["user_data"] or None}


def config_drive(instance):
    """The arguments of ``agent.virt.configdrive.build_config_drive`` for ``instance``
    (user data decoded to bytes): the same documents the metadata service serves."""
    docs = documents(instance)
    return {"meta_data": docs["meta_data"],
            "user_data": decode_user_data(docs["user_data"]),
            "network_data": docs["network_data"],
            "vendor_data": docs["vendor_data"]}


def decode_user_data(user_data):
    """The user data's bytes from the base64 text the instance keeps, or None."""
    return base64.b64decode(user_data) if user_data else None
