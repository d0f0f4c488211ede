"""The service catalog as Keystone renders it in tokens and ``/v3/auth/catalog``."""
from sqlalchemy import select

from controller.identity import models


def build_catalog(session):
    services = session.scalars(select(models.Service)
                               .where(models.Service.enabled.is_(True))
                               .order_by(models.Service.type)).all()
    endpoints = {}
    for endpoint in session.scalars(select(models.Endpoint)
                                    .where(models.Endpoint.enabled.is_(True))
                                    .order_by(models.Endpoint.interface)):
        endpoints.setdefault(endpoint.service_id, []).append({
            "id": endpoint.id, "interface": endpoint.interface,
            "region": endpoint.region_id, "region_id": endpoint.region_id,
            "url": endpoint.url})
    return [{"id": service.id, "type": service.type, "name": service.name,
             "endpoints": endpoints.get(service.id, [])} for service in services]


def read_catalog(db):
    """The catalog, read in a transaction of its own."""
    with db.session() as session:
        return build_catalog(session)
