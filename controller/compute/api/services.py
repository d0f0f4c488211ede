"""``/os-services``: the cloud's processes — agents, conductors, schedulers — whether each
is up (heartbeat) and enabled; admins disable a host to keep new servers off it."""
import falcon

from controller import policy
from controller.api import errors
from controller.compute import aggregates
from controller.compute.api import common
from controller.db.base import utcnow
from controller.scheduler import AGENT_BINARY, ServiceInUse, ServiceNotFound, placement

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
        found = placement.list_services(self.svc.db, binary=req.get_param("binary"),
                                        host=req.get_param("host"))
        now = utcnow()
        with self.svc.db.session() as session:
            zones = aggregates.host_zones(session)
        resp.media = {"services": [view(req, self.svc.conf, s, now, zones) for s in found]}


class Service:
    def __init__(self, svc):
        self.svc = svc

    def _by_id(self, service_id):
        for service in placement.list_services(self.svc.db):
            if service_id in (service.uuid, str(service.id)):
                return service
        raise errors.NotFound(f"Service {service_id} could not be found.")

    def on_put(self, req, resp, service_id):
        policy.authorize(req.context.auth, "os_compute_api:os-services")
        if req.context.microversion < (2, 53):
            self._legacy_update(req, resp, service_id)
            return
        spec = common.body(req, UPDATE)
        service = self._by_id(service_id)
        if "disabled_reason" in spec and spec.get("status") != "disabled":
            raise errors.BadRequest("Specifying a disabled_reason is only supported when "
                                    "the status is disabled.")
        if not spec:
            raise errors.BadRequest("At least one of status or forced_down must be given.")
        disabled = service.disabled if "status" not in spec else spec["status"] == "disabled"
        forced_down = (common.to_bool(spec["forced_down"]) if "forced_down" in spec
                       else None)
        placement.set_service_status(self.svc.db, service.host, service.binary, disabled,
                                     reason=spec.get("disabled_reason"),
                                     forced_down=forced_down)
        with self.svc.db.session() as session:
            zones = aggregates.host_zones(session)
        resp.media = {"service": view(req, self.svc.conf, self._by_id(service_id), utcnow(),
                                      zones)}

    def _legacy_update(self, req, resp, verb):
        if verb not in LEGACY_ACTIONS or (verb == "force-down"
                                          and req.context.microversion < (2, 11)):
            raise errors.NotFound(f"Unknown action {verb}")
        spec = common.body(req, LEGACY_UPDATE)
        if verb == "disable-log-reason" and "disabled_reason" not in spec:
            raise errors.BadRequest("Missing disabled reason field")
        matches = placement.list_services(self.svc.db, binary=spec["binary"],
                                          host=spec["host"])
        if not matches:
            raise errors.NotFound(f"Service {spec['binary']} on host {spec['host']} could "
                                  f"not be found.")
        service = matches[0]
        body = {"host": service.host, "binary": service.binary}
        if verb == "force-down":
            forced_down = common.to_bool(spec.get("forced_down", False))
            placement.set_service_status(self.svc.db, service.host, service.binary,
                                         service.disabled, forced_down=forced_down)
            body["forced_down"] = forced_down
        else:
            disabled = verb != "enable"
            placement.set_service_status(self.svc.db, service.host, service.binary,
                                         disabled, reason=spec.get("disabled_reason"))
            body["status"] = "disabled" if disabled else "enabled"
            if verb == "disable-log-reason":
                body["disabled_reason"] = spec["disabled_reason"]
        resp.media = {"service": body}

    def on_delete(self, req, resp, service_id):
        policy.authorize(req.context.auth, "os_compute_api:os-services")
        service = self._by_id(service_id)
        try:
            placement.delete_service(self.svc.db, service.id)
        except ServiceNotFound:
            raise errors.NotFound(f"Service {service_id} could not be found.") from None
        except ServiceInUse as exc:
            raise errors.Conflict(str(exc)) from None
        resp.status = falcon.HTTP_204
