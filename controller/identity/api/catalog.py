"""``/v3/services``, ``/v3/endpoints`` and ``/v3/regions``: the catalog (the rules are in
``controller.identity.services``)."""
import falcon

from controller import policy
from controller.api import errors
from controller.identity import models, records, services
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


def region_view(req, region):
    return {"id": region.id, "description": region.description,
            "parent_region_id": region.parent_region_id,
            "links": common.self_link(req, f"regions/{region.id}")}


SERVICE_FIELDS = ("type", "name", "description", "enabled")
ENDPOINT_FIELDS = ("service_id", "interface", "url", "region", "region_id", "enabled")


def _service_fields(data):
    common.check_fields(data, SERVICE_FIELDS, where="service")
    fields = {}
    if "type" in data:
        fields["type"] = common.string(data, "type", "service")
    for key in ("name", "description"):
        if key in data:
            fields[key] = common.text(data, key, "service", 255) or ""
    if "enabled" in data:
        fields["enabled"] = common.boolean(data, "enabled", "service")
    return fields


class Services:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_services")
        rows = records.list_rows(self.db, models.Service,
                                 common.filters(req, ("type", "name", "enabled")),
                                 models.Service.type)
        resp.media = common.collection(req, "services", [service_view(req, s) for s in rows])

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "identity:create_service")
        data = common.read_json(req, "service")
        common.check_fields(data, SERVICE_FIELDS, ("type",), "service")
        service = services.create_service(self.db, {"name": "", "description": "",
                                                    **_service_fields(data)})
        resp.status = falcon.HTTP_201
        resp.media = {"service": service_view(req, service)}


class Service:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, service_id):
        policy.authorize(req.context.auth, "identity:get_service")
        service = records.show(self.db, models.Service, service_id, "service")
        resp.media = {"service": service_view(req, service)}

    def on_patch(self, req, resp, service_id):
        policy.authorize(req.context.auth, "identity:update_service")
        changes = _service_fields(common.read_json(req, "service"))
        resp.media = {"service": service_view(req, services.update_service(
            self.db, service_id, changes))}

    def on_delete(self, req, resp, service_id):
        policy.authorize(req.context.auth, "identity:delete_service")
        services.delete_service(self.db, service_id)
        resp.status = falcon.HTTP_204


def _endpoint_fields(data):
    """The endpoint's attributes, and whether the region came as legacy ``region``."""
    common.check_fields(data, ENDPOINT_FIELDS, where="endpoint")
    fields = {}
    for key in ("service_id", "url"):
        if key in data:
            fields[key] = common.string(data, key, "endpoint", 65535)
    if "interface" in data:
        if data["interface"] not in services.INTERFACES:
            raise errors.BadRequest("Invalid input for field 'interface' in endpoint: "
                                    "expecting one of public, internal, admin.")
        fields["interface"] = data["interface"]
    if "enabled" in data:
        fields["enabled"] = common.boolean(data, "enabled", "endpoint")
    legacy = data.get("region_id") is None and data.get("region") is not None
    region = data.get("region") if legacy else data.get("region_id")
    if "region_id" in data or "region" in data:
        fields["region_id"] = common.text({"region": region}, "region", "endpoint", 255)
    return fields, legacy


class Endpoints:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_endpoints")
        rows = records.list_rows(
            self.db, models.Endpoint,
            common.filters(req, ("interface", "service_id", "region_id", "enabled")),
            models.Endpoint.service_id, models.Endpoint.interface)
        resp.media = common.collection(req, "endpoints", [endpoint_view(req, e) for e in rows])

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "identity:create_endpoint")
        data = common.read_json(req, "endpoint")
        common.check_fields(data, ENDPOINT_FIELDS, ("service_id", "interface", "url"),
                            "endpoint")
        fields, legacy = _endpoint_fields(data)
        endpoint = services.create_endpoint(self.db, fields, legacy)
        resp.status = falcon.HTTP_201
        resp.media = {"endpoint": endpoint_view(req, endpoint)}


class Endpoint:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, endpoint_id):
        policy.authorize(req.context.auth, "identity:get_endpoint")
        endpoint = records.show(self.db, models.Endpoint, endpoint_id, "endpoint")
        resp.media = {"endpoint": endpoint_view(req, endpoint)}

    def on_patch(self, req, resp, endpoint_id):
        policy.authorize(req.context.auth, "identity:update_endpoint")
        fields, legacy = _endpoint_fields(common.read_json(req, "endpoint"))
        resp.media = {"endpoint": endpoint_view(req, services.update_endpoint(
            self.db, endpoint_id, fields, legacy))}

    def on_delete(self, req, resp, endpoint_id):
        policy.authorize(req.context.auth, "identity:delete_endpoint")
        services.delete_endpoint(self.db, endpoint_id)
        resp.status = falcon.HTTP_204


def _region_fields(data):
    common.check_fields(data, ("id", "description", "parent_region_id"), where="region")
    fields = {}
    if "description" in data:
        fields["description"] = common.text(data, "description", "region", 255) or ""
    if "parent_region_id" in data:
        fields["parent_region_id"] = common.text(data, "parent_region_id", "region", 255)
    return fields


class Regions:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_regions")
        rows = records.list_rows(self.db, models.Region,
                                 common.filters(req, ("parent_region_id",)), models.Region.id)
        resp.media = common.collection(req, "regions", [region_view(req, r) for r in rows])

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "identity:create_region")
        data = common.read_json(req, "region")
        fields = _region_fields(data)
        if "id" in data:
            fields["id"] = common.string(data, "id", "region")
        region = services.create_region(self.db, {"description": "", **fields})
        resp.status = falcon.HTTP_201
        resp.media = {"region": region_view(req, region)}


class Region:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, region_id):
        policy.authorize(req.context.auth, "identity:get_region")
        resp.media = {"region": region_view(req, records.show(self.db, models.Region,
                                                              region_id, "region"))}

    def on_put(self, req, resp, region_id):
        """Create the region with the ID the path gives."""
        policy.authorize(req.context.auth, "identity:create_region")
        data = common.read_json(req, "region")
        if data.get("id", region_id) != region_id:
            raise errors.BadRequest("The region ID in the body must match the path's.")
        fields = _region_fields({k: v for k, v in data.items() if k != "id"})
        region = services.create_region(self.db, {"description": "", **fields,
                                                  "id": region_id})
        resp.status = falcon.HTTP_201
        resp.media = {"region": region_view(req, region)}

    def on_patch(self, req, resp, region_id):
        policy.authorize(req.context.auth, "identity:update_region")
        data = common.read_json(req, "region")
        if data.get("id", region_id) != region_id:
            raise errors.BadRequest("A region's ID cannot change.")
        fields = _region_fields({k: v for k, v in data.items() if k != "id"})
        resp.media = {"region": region_view(req, services.update_region(self.db, region_id,
                                                                        fields))}

    def on_delete(self, req, resp, region_id):
        policy.authorize(req.context.auth, "identity:delete_region")
        services.delete_region(self.db, region_id)
        resp.status = falcon.HTTP_204
