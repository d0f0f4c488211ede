"""``/os-availability-zone``: the zones users may ask for: those of host aggregates, and
those the agents report for hosts in none."""
from controller import policy
from controller.compute import aggregates
from controller.db.base import utcnow
from controller.scheduler import placement


class Zones:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "os_compute_api:os-availability-zone:list")
        zones = aggregates.availability_zones(self.svc.db,
                                             self.svc.conf.compute.default_availability_zone)
        now = utcnow()
        down_after = self.svc.conf.scheduler.service_down_time
        resp.media = {"availabilityZoneInfo": [
            {"zoneName": zone, "hosts": None,
             "zoneState": {"available": any(not s.disabled and placement.is_up(
                 s, now, down_after) for s in services)}}
            for zone, services in sorted(zones.items())]}


class ZonesDetail:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "os_compute_api:os-availability-zone:detail")
        zones = aggregates.availability_zones(self.svc.db,
                                             self.svc.conf.compute.default_availability_zone)
        now = utcnow()
        down_after = self.svc.conf.scheduler.service_down_time
        info = []
        for zone, services in sorted(zones.items()):
            hosts = {service.host: {service.binary: {
                "available": placement.is_up(service, now, down_after),
                "active": not service.disabled,
                "updated_at": (service.last_seen_at.isoformat(timespec="microseconds")
                               if service.last_seen_at else None)}}
                for service in services}
            info.append({"zoneName": zone, "hosts": hosts, "zoneState": {
                "available": any(not s.disabled and placement.is_up(s, now, down_after)
                                 for s in services)}})
        resp.media = {"availabilityZoneInfo": info}
