"""``/v3/services`` and ``/v3/endpoints``: the catalog, read-only (bootstrap writes it)."""
from controller import policy
from controller.identity import models, records
from controller.identity.api import common


def service_view(req, service):
    return {"id": service.id, "type": service.type, "name": service.name,
            "description": service.description, "enabled": service.enabled,
            "links": common.self_link(req, f"services/{service.id}")}


def endpoint_view(req, endpoint):
    return {"id": endpoint.id, "interface": endpoint.interface,
            "region": endpoint.region_id, "region_id": endpoint.region_id,
            "url": endpoint.url, "service_id": endpoint.service_id,
            "enabled": endpoint.enabled,
            "links": common.self_link(req, f"endpoints/{endpoint.id}")}


class Services:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_services")
        services = records.list_rows(self.db, models.Service,
                                     common.filters(req, ("type", "name", "enabled")),
                                     models.Service.type)
        resp.media = common.collection(req, "services",
                                       [service_view(req, s) for s in services])


class Service:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, service_id):
        policy.authorize(req.context.auth, "identity:get_service")
        service = records.show(self.db, models.Service, service_id, "service")
        resp.media = {"service": service_view(req, service)}


class Endpoints:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_endpoints")
        endpoints = records.list_rows(
            self.db, models.Endpoint,
            common.filters(req, ("interface", "service_id", "region_id", "enabled")),
            models.Endpoint.service_id, models.Endpoint.interface)
        resp.media = common.collection(req, "endpoints",
                                       [endpoint_view(req, e) for e in endpoints])


class Endpoint:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, endpoint_id):
        policy.authorize(req.context.auth, "identity:get_endpoint")
        endpoint = records.show(self.db, models.Endpoint, endpoint_id, "endpoint")
        resp.media = {"endpoint": endpoint_view(req, endpoint)}
