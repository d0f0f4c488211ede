"""The dashboard's view of the cloud: every call goes to the services' public APIs
with the signed-in user's token, through the clients of ``contract.clients`` (in this
very process when it serves those APIs), so the API's policy decides what a user sees.
"""
import urllib.parse

from contract.clients.base import ClientError
from contract.clients.compute import ComputeClient
from contract.clients.image import ImageClient
from contract.clients.network import NetworkClient
from contract.clients.volume import VolumeClient

__all__ = ["Cloud", "ClientError"]


def endpoints(catalog):
    """{service type: public URL} of a token's catalog."""
    found = {}
    for entry in catalog or ():
        for endpoint in entry.get("endpoints", ()):
            if endpoint.get("interface") == "public":
                found[entry["type"]] = endpoint["url"].rstrip("/")
    return found


class Cloud:
    """One request's calls, as the user of ``token`` (scoped to a project)."""

    def __init__(self, token, catalog, transport=None):
        self.token = token
        self.urls = endpoints(catalog)
        self.compute = ComputeClient(self.urls["compute"], token, transport=transport)
        self.transport = transport

    def _client(self, service_type, factory):
        client = factory(self.urls[service_type])
        if self.transport is not None:
            client.session.mount(client.endpoint + "/", self.transport)
        return client

    def _get(self, service_type, factory, path, key, **params):
        client = self._client(service_type, factory)
        return client.request("GET", path, token=self.token,
                              params=params or None).json()[key]

    def _post(self, service_type, factory, path, body, key):
        client = self._client(service_type, factory)
        return client.request("POST", path, token=self.token, json=body).json()[key]

    def _delete(self, service_type, factory, path):
        self._client(service_type, factory).request("DELETE", path, token=self.token)

    # --- compute ------------------------------------------------------------------------

    def servers(self):
        return self.compute.get("/servers/detail")["servers"]

    def server(self, server_id):
        return self.compute.get(f"/servers/{server_id}")["server"]

    def create_server(self, name, image_id, flavor_id, network_id=None, key_name=None,
                      volume_size=None):
        server = {"name": name, "flavorRef": flavor_id,
                  "networks": [{"uuid": network_id}] if network_id else "none"}
        if volume_size:
            server["block_device_mapping_v2"] = [{
                "boot_index": 0, "uuid": image_id, "source_type": "image",
                "destination_type": "volume", "volume_size": int(volume_size),
                "delete_on_termination": True}]
        else:
            server["imageRef"] = image_id
        if key_name:
            server["key_name"] = key_name
        return self.compute.post("/servers", {"server": server})["server"]

    def server_action(self, server_id, action):
        body = {"reboot": {"type": "SOFT"}} if action == "reboot" else {action: None}
        self.compute.post(f"/servers/{server_id}/action", body)

    def delete_server(self, server_id):
        self.compute.delete(f"/servers/{server_id}")

    def console_log(self, server_id, length=200):
        return self.compute.post(f"/servers/{server_id}/action",
                                 {"os-getConsoleOutput": {"length": length}})["output"]

    def console_url(self, server_id, protocol, console_type):
        return self.compute.post(f"/servers/{server_id}/remote-consoles", {
            "remote_console": {"protocol": protocol, "type": console_type}}
        )["remote_console"]["url"]

    def create_action(self, server_id):
        """The server's create action with its events (None if it has none)."""
        actions = self.compute.get(f"/servers/{server_id}/os-instance-actions")
        for action in actions["instanceActions"]:
            if action["action"] == "create":
                return self.compute.get(f"/servers/{server_id}/os-instance-actions/"
                                        f"{action['request_id']}")["instanceAction"]
        return None

    def flavors(self):
        return self.compute.get("/flavors/detail")["flavors"]

    def keypairs(self):
        return [entry["keypair"] for entry in self.compute.get("/os-keypairs")["keypairs"]]

    def create_keypair(self, name, public_key=None):
        """Import ``public_key``, or (without one) have a pair made: the answer then
        holds the private key, the only time it is ever shown."""
        keypair = {"name": name}
        if public_key:
            keypair["public_key"] = public_key
        return self.compute.post("/os-keypairs", {"keypair": keypair})["keypair"]

    def delete_keypair(self, name):
        self.compute.delete(f"/os-keypairs/{urllib.parse.quote(name, safe='')}")

    def hypervisors(self):
        return self.compute.get("/os-hypervisors/detail")["hypervisors"]

    def all_servers(self):
        return self.compute.get("/servers/detail", all_tenants="1")["servers"]

    # --- image, network, volume -------------------------------------------------------

    def images(self):
        return self._get("image", ImageClient, "/v2/images", "images")

    def create_image(self, name, disk_format, container_format="bare",
                     visibility="private"):
        return self._client("image", ImageClient).request(
            "POST", "/v2/images", token=self.token, json={
                "name": name, "disk_format": disk_format,
                "container_format": container_format, "visibility": visibility}).json()

    def upload_image_data(self, image_id, data):
        """Stream ``data`` (a file-like object) into the queued image."""
        self._client("image", ImageClient).request(
            "PUT", f"/v2/images/{image_id}/file", token=self.token, data=data,
            headers={"Content-Type": "application/octet-stream"})

    def delete_image(self, image_id):
        self._delete("image", ImageClient, f"/v2/images/{image_id}")

    def _network(self, path, key):
        return self._get("network", lambda url: NetworkClient(url, None), path, key)

    def networks(self):
        return self._network("/networks", "networks")

    def _network_post(self, path, key, body):
        return self._post("network", lambda url: NetworkClient(url, None), path,
                          {key: body}, key)

    def _network_delete(self, path):
        self._delete("network", lambda url: NetworkClient(url, None), path)

    def create_network(self, name):
        return self._network_post("/networks", "network", {"name": name})

    def delete_network(self, network_id):
        self._network_delete(f"/networks/{network_id}")

    def create_subnet(self, network_id, name, cidr, enable_dhcp=True, **gateway):
        """``gateway``: none (the subnet's first address), or ``gateway_ip`` (an
        address, or None for no gateway)."""
        subnet = {"network_id": network_id, "name": name, "cidr": cidr, "ip_version": 4,
                  "enable_dhcp": enable_dhcp, **gateway}
        return self._network_post("/subnets", "subnet", subnet)

    def delete_subnet(self, subnet_id):
        self._network_delete(f"/subnets/{subnet_id}")

    def subnets(self):
        return self._network("/subnets", "subnets")

    def security_groups(self):
        return self._network("/security-groups", "security_groups")

    def create_security_group(self, name, description):
        return self._network_post("/security-groups", "security_group",
                                  {"name": name, "description": description})

    def delete_security_group(self, group_id):
        self._network_delete(f"/security-groups/{group_id}")

    def create_security_group_rule(self, rule):
        return self._network_post("/security-group-rules", "security_group_rule", rule)

    def delete_security_group_rule(self, rule_id):
        self._network_delete(f"/security-group-rules/{rule_id}")

    def floating_ips(self):
        return self._network("/floatingips", "floatingips")

    def create_floating_ip(self, network_id):
        return self._network_post("/floatingips", "floatingip",
                                  {"floating_network_id": network_id})

    def update_floating_ip(self, floating_ip_id, port_id):
        """Associate with ``port_id``, or with None disassociate."""
        client = self._client("network", lambda url: NetworkClient(url, None))
        client.request("PUT", f"/floatingips/{floating_ip_id}", token=self.token,
                       json={"floatingip": {"port_id": port_id}})

    def delete_floating_ip(self, floating_ip_id):
        self._network_delete(f"/floatingips/{floating_ip_id}")

    def ports(self, **filters):
        return self._get("network", lambda url: NetworkClient(url, None), "/ports",
                         "ports", **filters)

    def volumes(self):
        return self._get("block-storage", VolumeClient, "/volumes/detail", "volumes")

    def create_volume(self, name, size):
        return self._post("block-storage", VolumeClient, "/volumes",
                          {"volume": {"name": name, "size": size}}, "volume")

    def delete_volume(self, volume_id):
        self._delete("block-storage", VolumeClient, f"/volumes/{volume_id}")

    def attach_volume(self, server_id, volume_id):
        self.compute.post(f"/servers/{server_id}/os-volume_attachments",
                          {"volumeAttachment": {"volumeId": volume_id}})

    def detach_volume(self, server_id, volume_id):
        self.compute.delete(f"/servers/{server_id}/os-volume_attachments/{volume_id}")
