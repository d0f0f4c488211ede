"""The service catalog as Keystone renders it in tokens and ``/v3/auth/catalog``."""
from sqlalchemy import select

from controller.identity import endpoint_filter, models


def build_catalog(session, project_id=None):
    """The catalog; for a project given endpoints (OS-EP-FILTER), only those, and only
    the services that keep one."""
    services = session.scalars(select(models.Service)
                               .where(models.Service.enabled.is_(True))
                               .order_by(models.Service.type)).all()
    given = endpoint_filter.endpoint_ids_for_project(session, project_id) if project_id \
        else set()
    statement = select(models.Endpoint).where(models.Endpoint.enabled.is_(True))
    if given:
        statement = statement.where(models.Endpoint.id.in_(given))
    endpoints = {}
    for endpoint in session.scalars(statement.order_by(models.Endpoint.interface)):
        endpoints.setdefault(endpoint.service_id, []).append({
            "id": endpoint.id, "interface": endpoint.interface,
            "region": endpoint.region_id, "region_id": endpoint.region_id,
            "url": endpoint.url})
    return [{"id": service.id, "type": service.type, "name": service.name,
             "endpoints": endpoints.get(service.id, [])} for service in services
            if service.id in endpoints or not given]


def read_catalog(db, project_id=None):
    """The catalog (of a project-scoped token's project), read in a transaction of its
    own."""
    with db.session() as session:
        return build_catalog(session, project_id)
