"""A server as the Nova v2.1 API shows it, shaped by the request's microversion and by
what the caller may see (hosts only for admins)."""
import hashlib

from controller import policy
from controller.compute import instances, states
from controller.compute.api import common
from controller.db.base import isotime


def host_id(project_id, host):
    """Nova's ``hostId``: the same for a project's servers on one host, meaningless to
    everyone else."""
    if not host:
        return ""
    return hashlib.sha224((project_id + host).encode()).hexdigest()


def addresses(network_info, extended=True):
    """Network label → its addresses; ``extended`` adds their type and MAC (the
    OS-EXT-IPS attributes, left out of an update's or rebuild's base view)."""
    result = {}

    def entry(address, version, kind, mac):
        found = {"addr": address, "version": version}
        if extended:
            found.update({"OS-EXT-IPS:type": kind, "OS-EXT-IPS-MAC:mac_addr": mac})
        return found

    for vif in network_info or []:
        entries = result.setdefault(vif["network"]["label"], [])
        for subnet in vif["network"].get("subnets", []):
            for ip in subnet.get("ips", []):
                entries.append(entry(ip["address"], ip["version"], "fixed", vif["address"]))
                entries += [entry(floating["address"], floating["version"], "floating",
                                  vif["address"])
                            for floating in ip.get("floating_ips", [])]
    return result


def flavor(req, instance):
    snapshot = instance.flavor
    if req.context.microversion >= (2, 47):
        return {"vcpus": snapshot["vcpus"], "ram": snapshot["memory_mb"],
                "disk": snapshot["root_gb"], "ephemeral": snapshot["ephemeral_gb"],
                "swap": snapshot["swap"], "original_name": snapshot["name"],
                "extra_specs": snapshot.get("extra_specs", {})}
    return {"id": instance.flavor_id, "links": [
        {"rel": "bookmark", "href": f"{req.prefix}/flavors/{instance.flavor_id}"}]}


def image(req, instance):
    if not instance.image_ref:
        return ""
    return {"id": instance.image_ref, "links": [
        {"rel": "bookmark", "href": f"{req.prefix}/images/{instance.image_ref}"}]}


def summary(req, instance):
    return {"id": instance.uuid, "name": instance.name,
            "links": common.links(req, f"/servers/{instance.uuid}")}


def host_status(service_is_up, service):
    """UP, DOWN, MAINTENANCE (disabled) or UNKNOWN, as Nova reports a server's host."""
    if service is None:
        return "UNKNOWN"
    if service.disabled:
        return "MAINTENANCE"
    return "UP" if service_is_up(service) else "DOWN"


def disk_config(instance):
    return "AUTO" if instance.auto_disk_config else "MANUAL"


# Statuses in which Nova shows a server's ``progress``.
_PROGRESS_STATUSES = ("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING")


def base(req, instance, extend_addresses=False):
    """Nova's base server view: what an update or a rebuild answers with before 2.75,
    and what ``detail`` builds on."""
    version = req.context.microversion
    server = {
        "id": instance.uuid,
        "name": instance.name,
        "status": states.status(instance.vm_state, instance.task_state),
        "tenant_id": instance.project_id,
        "user_id": instance.user_id,
        "metadata": instances.metadata_dict(instance),
        "hostId": host_id(instance.project_id, instance.host),
        "image": image(req, instance),
        "flavor": flavor(req, instance),
        "created": isotime(instance.created_at),
        "updated": isotime(instance.updated_at or instance.created_at),
        "addresses": addresses(instance.network_info, extend_addresses),
        "accessIPv4": instance.access_ip_v4 or "",
        "accessIPv6": instance.access_ip_v6 or "",
        "links": common.links(req, f"/servers/{instance.uuid}"),
        "OS-DCF:diskConfig": disk_config(instance),
    }
    if server["status"] in _PROGRESS_STATUSES:
        server["progress"] = 100 if instance.vm_state == states.ACTIVE else 0
    if instance.vm_state == states.ERROR and instance.faults:
        fault = instance.faults[-1]
        server["fault"] = {"code": fault.code, "message": fault.message,
                           "created": isotime(fault.created_at)}
    if version >= (2, 9):
        server["locked"] = instance.locked
    if version >= (2, 19):
        server["description"] = instance.description
    if version >= (2, 26):
        server["tags"] = [tag.tag for tag in instance.tags]
    if version >= (2, 63):
        server["trusted_image_certificates"] = None
    if version >= (2, 73):
        server["locked_reason"] = instance.locked_reason
    return server


def detail(req, instance, auth, host_states=None, server_groups=None,
           security_groups=None):
    """The full server document. ``host_states``: host → status, for admins;
    ``security_groups``: [{"name": ...}] of its ports (left out when none)."""
    version = req.context.microversion
    server = base(req, instance, extend_addresses=True)
    server.update({
        "key_name": instance.key_name,
        "config_drive": "True" if instance.config_drive else "",
        "OS-EXT-AZ:availability_zone": instance.availability_zone or "",
        "OS-EXT-STS:vm_state": instance.vm_state,
        "OS-EXT-STS:task_state": instance.task_state,
        "OS-EXT-STS:power_state": instance.power_state,
        "OS-SRV-USG:launched_at": (instance.launched_at.isoformat()
                                   if instance.launched_at else None),
        "OS-SRV-USG:terminated_at": (instance.terminated_at.isoformat()
                                     if instance.terminated_at else None),
        # delete_on_termination is shown from 2.3, as Nova.
        "os-extended-volumes:volumes_attached": [
            dict({"id": bdm.volume_id}, **({"delete_on_termination":
                                             bdm.delete_on_termination}
                                            if version >= (2, 3) else {}))
            for bdm in instance.block_device_mappings if bdm.volume_id],
    })
    if security_groups:
        server["security_groups"] = security_groups
    if "fault" in server and auth.is_admin and instance.faults[-1].details:
        server["fault"]["details"] = instance.faults[-1].details
    if policy.allowed(auth, "os_compute_api:os-extended-server-attributes",
                      {"project_id": instance.project_id}):
        server.update({
            "OS-EXT-SRV-ATTR:host": instance.host,
            "OS-EXT-SRV-ATTR:hypervisor_hostname": instance.node,
            "OS-EXT-SRV-ATTR:instance_name": f"pocketstack-{instance.uuid}",
        })
        if version >= (2, 3):
            server.update({
                "OS-EXT-SRV-ATTR:hostname": instance.hostname,
                "OS-EXT-SRV-ATTR:reservation_id": instance.reservation_id,
                "OS-EXT-SRV-ATTR:launch_index": instance.launch_index,
                "OS-EXT-SRV-ATTR:kernel_id": "",
                "OS-EXT-SRV-ATTR:ramdisk_id": "",
                "OS-EXT-SRV-ATTR:root_device_name": None,
                "OS-EXT-SRV-ATTR:user_data": instance.user_data,
            })
    if version >= (2, 16) and host_states is not None and instance.host:
        server["host_status"] = host_states.get(instance.host, "UNKNOWN")
    if version >= (2, 71) and server_groups is not None:
        server["server_groups"] = server_groups
    return server
