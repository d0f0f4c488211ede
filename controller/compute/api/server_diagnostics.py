"""``/servers/{id}/diagnostics`` (admins): Nova's standard form from 2.48; before, the
per-device form of Nova's libvirt driver (``cpu0_time``, ``memory``, ``vda_read``,
``tap…_rx``...)."""
from controller.compute.api import common
from controller.compute.operations import server_diagnostics

STANDARD_FROM = (2, 48)


def legacy(found):
    """The form before 2.48, keyed by device, as Nova's libvirt driver gives it."""
    body = {f"cpu{cpu['id']}_time": cpu["time"] for cpu in found["cpu_details"]}
    memory = found["memory_details"]
    body["memory"] = memory["maximum"] * 1024 if memory["maximum"] is not None else None
    if memory["used"] is not None:
        body["memory-actual"] = memory["used"] * 1024
    for disk in found["disk_details"]:
        name = disk["device"]
        body.update({f"{name}_read_req": disk["read_requests"],
                     f"{name}_read": disk["read_bytes"],
                     f"{name}_write_req": disk["write_requests"],
                     f"{name}_write": disk["write_bytes"],
                     f"{name}_errors": disk["errors_count"]})
    for nic in found["nic_details"]:
        name = nic["device"]
        for field, suffix in (("rx_octets", "rx"), ("rx_drop", "rx_drop"),
                              ("rx_errors", "rx_errors"), ("rx_packets", "rx_packets"),
                              ("tx_octets", "tx"), ("tx_drop", "tx_drop"),
                              ("tx_errors", "tx_errors"), ("tx_packets", "tx_packets")):
            body[f"{name}_{suffix}"] = nic[field]
    return body


def standard(found):
    """The 2.48 form: the devices' names are not part of it."""
    body = dict(found)
    body["nic_details"] = [{k: v for k, v in nic.items() if k != "device"}
                           for nic in found["nic_details"]]
    body["disk_details"] = [{k: v for k, v in disk.items() if k != "device"}
                            for disk in found["disk_details"]]
    return body


class Diagnostics:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, server_id):
        auth = req.context.auth
        found = server_diagnostics.diagnostics(
            self.svc, auth, req.context.request_id, server_id,
            common.authorizer(auth, "os_compute_api:os-server-diagnostics"))
        resp.media = (standard(found) if req.context.microversion >= STANDARD_FROM
                      else legacy(found))
