"""``/os-availability-zone``: the zones users may ask for: those of host aggregates, and
those the agents report for hosts in none."""
from controller import policy
from controller.compute import aggregates
from controller.db.base import utcnow
from controller.scheduler import placement


class _ZoneList:
    rule = None

    def __init__(self, svc):
        self.svc = svc

    def _zones(self, req):
        """Each zone's services, by name; a service is up if seen within
        ``[scheduler] service_down_time``."""
        policy.authorize(req.context.auth, f"os_compute_api:os-availability-zone:{self.rule}")
        zones = aggregates.availability_zones(self.svc.db,
                                             self.svc.conf.compute.default_availability_zone)
        return sorted(zones.items()), utcnow(), self.svc.conf.scheduler.service_down_time


def _zone_state(services, now, down_after):
    return {"available": any(not s.disabled and placement.is_up(s, now, down_after)
                             for s in services)}


class Zones(_ZoneList):
    rule = "list"

    def on_get(self, req, resp):
        zones, now, down_after = self._zones(req)
        resp.media = {"availabilityZoneInfo": [
            {"zoneName": zone, "hosts": None,
             "zoneState": _zone_state(services, now, down_after)}
            for zone, services in zones]}


class ZonesDetail(_ZoneList):
    rule = "detail"

    def on_get(self, req, resp):
        zones, now, down_after = self._zones(req)
        info = []
        for zone, services in zones:
            hosts = {service.host: {service.binary: {
                "available": placement.is_up(service, now, down_after),
                "active": not service.disabled,
                "updated_at": (service.last_seen_at.isoformat(timespec="microseconds")
                               if service.last_seen_at else None)}}
                for service in services}
            info.append({"zoneName": zone, "hosts": hosts,
                         "zoneState": _zone_state(services, now, down_after)})
        resp.media = {"availabilityZoneInfo": info}
