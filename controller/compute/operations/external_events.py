"""Events other services send about servers (Nova's ``os-server-external-events``).

The network service sends ``network-changed`` when a server's port or a floating IP on
it changed; compute then refreshes the server's network info cache from the network
service, which is what the server's ``addresses`` show (``OS-EXT-IPS:type`` floating).
Like Nova, an event for a server that is not on a host yet is refused (422) and one for
a server that does not exist is unknown (404); the others are accepted (200).
"""
import copy
import ipaddress

from contract import exception
from controller.api import errors
from controller.compute import instances

# Events after which the cached network info no longer says what the ports are.
REFRESHING = frozenset({"network-changed", "network-vif-deleted"})


class ExternalEvents:
    def __init__(self, svc):
        self.svc = svc

    def create(self, auth, events):
        """``events``: the validated request's events. Returns them with each one's
        ``status`` and ``code``, and the response's status: 200 when every event was
        accepted, 207 when some were not."""
        results, to_refresh = [], []
        with self.svc.db.session() as session:
            for event in events:
                result = dict(event, status=event.get("status", "completed"), code=200)
                try:
                    instance = instances.get(session, event["server_uuid"])
                except exception.InstanceNotFound:
                    result.update(status="failed", code=404)
                else:
                    if not instance.host:
                        result.update(status="failed", code=422)
                    elif event["name"] in REFRESHING:
                        to_refresh.append(instance.uuid)
                results.append(result)
        if all(result["code"] != 200 for result in results):
            raise errors.NotFound("No instances found for any event")
        for instance_uuid in dict.fromkeys(to_refresh):
            refresh_network_info(self.svc, auth.token, instance_uuid)
        return results, 200 if all(r["code"] == 200 for r in results) else 207


def refresh_network_info(svc, token, instance_uuid):
    """Bring the server's network info cache up to date with its ports' fixed IPs and
    the floating IPs on them, as the network service (asked with ``token``) has them. A
    port gone from the network service keeps its entry: the server still holds its
    device until it lets go of it."""
    ports = svc.network.port_addresses(token, instance_uuid)
    with svc.db.session() as session:
        cached = instances.get(session, instance_uuid).network_info or []
    known = {subnet["id"]: subnet for vif in cached
             for subnet in vif["network"].get("subnets", [])}
    for port in ports.values():
        for fixed in port["fixed_ips"]:
            if fixed["subnet_id"] not in known:
                known[fixed["subnet_id"]] = _subnet_entry(
                    svc.network.subnet(token, fixed["subnet_id"]))
    with svc.db.session() as session:
        instance = instances.get(session, instance_uuid, lock=True)
        network_info = copy.deepcopy(instance.network_info or [])
        for vif in network_info:
            if vif["id"] in ports:
                vif["network"]["subnets"] = _subnets(ports[vif["id"]], known)
        instance.network_info = network_info


def _subnet_entry(subnet):
    """A subnet as a network info entry holds it (``contract.port_binding.vif``)."""
    return {"id": subnet["id"], "cidr": subnet["cidr"], "gateway": subnet.get("gateway_ip"),
            "dns": subnet.get("dns_nameservers", []), "ips": []}


def _subnets(port, known):
    addresses = {}
    for fixed in port["fixed_ips"]:
        addresses.setdefault(fixed["subnet_id"], []).append(fixed["ip_address"])
    return [dict(known[subnet_id], ips=[_ip(address, port["floating"].get(address, []))
                                        for address in ips])
            for subnet_id, ips in addresses.items()]


def _ip(address, floating):
    return {"address": address, "version": ipaddress.ip_address(address).version,
            "floating_ips": [{"address": f, "type": "floating",
                              "version": ipaddress.ip_address(f).version}
                             for f in floating]}
