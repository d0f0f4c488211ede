"""The catalog's services, endpoints and regions, each change in one transaction. An
endpoint's region must exist, except through the legacy ``region`` attribute, which
creates it (as Keystone does for v2-style clients); a region with endpoints or child
regions stays."""
from sqlalchemy import select

from controller.api import errors
from controller.identity import models, records

INTERFACES = ("public", "internal", "admin")


def create_service(db, fields):
    service = models.Service(**fields)
    with db.session() as session:
        session.add(service)
        records.flush(session, "service")
    return service


def update_service(db, service_id, changes):
    with db.session() as session:
        service = records.get_or_404(session, models.Service, service_id, "service")
        for key, value in changes.items():
            setattr(service, key, value)
    return service


def delete_service(db, service_id):
    """The service and its endpoints."""
    with db.session() as session:
        session.delete(records.get_or_404(session, models.Service, service_id, "service"))


def _endpoint_refs(session, fields, legacy_region):
    if "service_id" in fields and session.get(models.Service, fields["service_id"]) is None:
        raise errors.BadRequest(f"Invalid service_id: {fields['service_id']}.")
    region_id = fields.get("region_id")
    if region_id is not None and session.get(models.Region, region_id) is None:
        if not legacy_region:
            raise errors.BadRequest(f"Invalid region_id: {region_id}.")
        session.add(models.Region(id=region_id, description=""))
        session.flush()


def create_endpoint(db, fields, legacy_region=False):
    endpoint = models.Endpoint(**fields)
    with db.session() as session:
        _endpoint_refs(session, fields, legacy_region)
        session.add(endpoint)
        records.flush(session, "endpoint")
    return endpoint


def update_endpoint(db, endpoint_id, changes, legacy_region=False):
    with db.session() as session:
        endpoint = records.get_or_404(session, models.Endpoint, endpoint_id, "endpoint")
        _endpoint_refs(session, changes, legacy_region)
        for key, value in changes.items():
            setattr(endpoint, key, value)
        records.flush(session, "endpoint")
    return endpoint


def delete_endpoint(db, endpoint_id):
    with db.session() as session:
        session.delete(records.get_or_404(session, models.Endpoint, endpoint_id, "endpoint"))


def create_region(db, fields):
    region = models.Region(**fields)
    with db.session() as session:
        if region.id is not None and session.get(models.Region, region.id) is not None:
            raise errors.Conflict(f"Conflict occurred attempting to store region - "
                                  f"Duplicate ID, {region.id}.")
        _parent(session, fields.get("parent_region_id"))
        session.add(region)
        records.flush(session, "region")
    return region


def _parent(session, parent_id, region_id=None):
    if parent_id is None:
        return
    if parent_id == region_id:
        raise errors.BadRequest("A region cannot be its own parent.")
    if session.get(models.Region, parent_id) is None:
        raise errors.NotFound(f"Could not find region: {parent_id}.")


def update_region(db, region_id, changes):
    with db.session() as session:
        region = records.get_or_404(session, models.Region, region_id, "region")
        _parent(session, changes.get("parent_region_id"), region_id)
        for key, value in changes.items():
            setattr(region, key, value)
    return region


def delete_region(db, region_id):
    with db.session() as session:
        region = records.get_or_404(session, models.Region, region_id, "region")
        busy = session.scalar(select(models.Endpoint.id)
                              .where(models.Endpoint.region_id == region_id).limit(1))
        children = session.scalar(select(models.Region.id)
                                  .where(models.Region.parent_region_id == region_id).limit(1))
        if busy or children:
            raise errors.Forbidden(f"Unable to delete region {region_id} because it or its "
                                   f"child regions have associated endpoints.")
        session.delete(region)
