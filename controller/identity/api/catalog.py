"""``/v3/services`` and ``/v3/endpoints``: the catalog, read-only (bootstrap writes it)."""
from sqlalchemy import select

from controller import policy
from controller.identity import models
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
        statement = common.apply_filters(req, select(models.Service), models.Service,
                                         ("type", "name", "enabled"))
        with self.db.session() as session:
            services = session.scalars(statement.order_by(models.Service.type)).all()
            resp.media = common.collection(req, "services",
                                           [service_view(req, s) for s in services])


class Service:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, service_id):
        policy.authorize(req.context.auth, "identity:get_service")
        with self.db.session() as session:
            service = common.get_or_404(session, models.Service, service_id, "service")
            resp.media = {"service": service_view(req, service)}


class Endpoints:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_endpoints")
        statement = common.apply_filters(req, select(models.Endpoint), models.Endpoint,
                                         ("interface", "service_id", "region_id", "enabled"))
        with self.db.session() as session:
            endpoints = session.scalars(statement.order_by(models.Endpoint.service_id,
                                                           models.Endpoint.interface)).all()
            resp.media = common.collection(req, "endpoints",
                                           [endpoint_view(req, e) for e in endpoints])


class Endpoint:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, endpoint_id):
        policy.authorize(req.context.auth, "identity:get_endpoint")
        with self.db.session() as session:
            endpoint = common.get_or_404(session, models.Endpoint, endpoint_id, "endpoint")
            resp.media = {"endpoint": endpoint_view(req, endpoint)}
