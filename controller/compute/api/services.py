"""``/os-services``: the cloud's processes — agents, conductors, schedulers — whether each
is up (heartbeat) and enabled; admins disable a host to keep new servers off it."""
import falcon

from controller import policy
from controller.api import errors
from controller.compute import aggregates
from controller.compute.api import common
from controller.compute.operations import services
from controller.db.base import utcnow
from controller.scheduler import AGENT_BINARY, placement

UPDATE = {"type": "object",
          "properties": {"status": {"type": "string", "enum": ["enabled", "disabled"]},
                         "disabled_reason": {"type": "string", "minLength": 1,
                                             "maxLength": 255},
                         "forced_down": common.BOOLEAN},
          "additionalProperties": False}

LEGACY_UPDATE = {"type": "object",
                 "properties": {"host": {"type": "string"}, "binary": {"type": "string"},
                                "disabled_reason": {"type": "string", "minLength": 1,
                                                    "maxLength": 255},
                                "forced_down": common.BOOLEAN},
                 "required": ["host", "binary"], "additionalProperties": False}

# Before 2.53 a service is changed by host and binary at /os-services/<verb>.
LEGACY_ACTIONS = ("enable", "disable", "disable-log-reason", "force-down")


def view(req, conf, service, now, aggregate_zones):
    """``aggregate_zones``: host → zone from aggregates (``aggregates.host_zones``)."""
    version = req.context.microversion
    up = placement.is_up(service, now, conf.scheduler.service_down_time)
    zone = (aggregates.resolve_zone(aggregate_zones.get(service.host),
                                    service.availability_zone,
                                    conf.compute.default_availability_zone)
            if service.binary == AGENT_BINARY else "internal")
    body = {"id": service.uuid if version >= (2, 53) else service.id,
            "binary": service.binary, "host": service.host, "zone": zone,
            "status": "disabled" if service.disabled else "enabled",
            "state": "up" if up else "down",
            "updated_at": (service.last_seen_at.isoformat(timespec="microseconds")
                           if service.last_seen_at else None),
            "disabled_reason": service.disabled_reason}
    if version >= (2, 11):
        body["forced_down"] = service.forced_down
    return body


class Services:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "os_compute_api:os-services")
        found, zones = services.list_services(self.svc.db, binary=req.get_param("binary"),
                                              host=req.get_param("host"))
        now = utcnow()
        resp.media = {"services": [view(req, self.svc.conf, s, now, zones) for s in found]}


class Service:
    def __init__(self, svc):
        self.svc = svc

    def on_put(self, req, resp, service_id):
        policy.authorize(req.context.auth, "os_compute_api:os-services")
        if req.context.microversion < (2, 53):
            self._legacy_update(req, resp, service_id)
            return
        spec = common.body(req, UPDATE)
        service, zones = services.update(
            self.svc.db, service_id, status=spec.get("status"),
            disabled_reason=spec.get("disabled_reason"),
            forced_down=(common.to_bool(spec["forced_down"]) if "forced_down" in spec
                         else None))
        resp.media = {"service": view(req, self.svc.conf, service, utcnow(), zones)}

    def _legacy_update(self, req, resp, verb):
        if verb not in LEGACY_ACTIONS or (verb == "force-down"
                                          and req.context.microversion < (2, 11)):
            raise errors.NotFound(f"Unknown action {verb}")
        spec = common.body(req, LEGACY_UPDATE)
        if verb == "disable-log-reason" and "disabled_reason" not in spec:
            raise errors.BadRequest("Missing disabled reason field")
        if verb == "force-down":
            forced_down = common.to_bool(spec.get("forced_down", False))
            service = services.update_by_host(self.svc.db, spec["binary"], spec["host"],
                                              forced_down=forced_down)
            body = {"host": service.host, "binary": service.binary,
                    "forced_down": forced_down}
        else:
            disabled = verb != "enable"
            service = services.update_by_host(self.svc.db, spec["binary"], spec["host"],
                                              disabled=disabled,
                                              reason=spec.get("disabled_reason"))
            body = {"host": service.host, "binary": service.binary,
                    "status": "disabled" if disabled else "enabled"}
            if verb == "disable-log-reason":
                body["disabled_reason"] = spec["disabled_reason"]
        resp.media = {"service": body}

    def on_delete(self, req, resp, service_id):
        policy.authorize(req.context.auth, "os_compute_api:os-services")
        services.delete(self.svc.db, service_id)
        resp.status = falcon.HTTP_204
