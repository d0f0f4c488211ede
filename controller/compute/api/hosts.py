"""``/os-hosts`` (Nova's deprecated host API, microversions 2.1 to 2.42; 404 after):
list the hosts of enabled services, show a compute host's resources; its update and
power actions answer as with Nova's libvirt driver (501)."""
from controller import policy
from controller.api import errors
from controller.compute.api import common
from controller.compute.operations import hosts

LAST_VERSION = (2, 42)
_ENABLE = ["enable", "disable", "Enable", "Disable", "ENABLE", "DISABLE"]
UPDATE = {"type": "object",
          "properties": {"status": {"type": "string", "enum": _ENABLE},
                         "maintenance_mode": {"type": "string", "enum": _ENABLE}},
          "anyOf": [{"required": ["status"]}, {"required": ["maintenance_mode"]}],
          "additionalProperties": False}
# action → Nova's policy rule name for it.
POWER_ACTIONS = {"startup": "start", "shutdown": "shutdown", "reboot": "reboot"}


def _check_version(req):
    if req.context.microversion > LAST_VERSION:
        raise errors.NotFound("The resource could not be found.")


class Hosts:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp):
        _check_version(req)
        policy.authorize(req.context.auth, "os_compute_api:os-hosts:list")
        found = hosts.list_hosts(self.svc.db, self.svc.conf.compute.default_availability_zone,
                                 zone=req.get_param("zone"))
        resp.media = {"hosts": [{"host_name": host, "service": topic, "zone": zone}
                                for host, topic, zone in found]}


class Host:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, host_name):
        _check_version(req)
        policy.authorize(req.context.auth, "os_compute_api:os-hosts:show")
        resp.media = {"host": [
            {"resource": {"host": host_name, "project": project, "cpu": cpu,
                          "memory_mb": memory_mb, "disk_gb": disk_gb}}
            for project, cpu, memory_mb, disk_gb in hosts.host_resources(self.svc.db,
                                                                          host_name)]}

    def on_put(self, req, resp, host_name):
        _check_version(req)
        common.body(req, UPDATE)
        policy.authorize(req.context.auth, "os_compute_api:os-hosts:update")
        hosts.check_compute_host(self.svc.db, host_name)


class HostPowerAction:
    """``/os-hosts/{host}/{startup|shutdown|reboot}``."""

    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, host_name, action):
        _check_version(req)
        if action not in POWER_ACTIONS:
            raise errors.NotFound("The resource could not be found.")
        policy.authorize(req.context.auth, f"os_compute_api:os-hosts:{POWER_ACTIONS[action]}")
        hosts.check_compute_host(self.svc.db, host_name)
