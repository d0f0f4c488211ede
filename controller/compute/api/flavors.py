"""``/flavors``: the sizes servers come in — anyone lists them, admins manage them —
and their extra specs (hints for the scheduler and the virt driver)."""
import uuid

import falcon
from sqlalchemy import select

from controller import policy
from controller.api import errors
from controller.compute import flavors as flavor_store
from controller.compute import models
from controller.compute.api import common

_EXTRA_SPEC_KEY = r"^[a-zA-Z0-9-_:. ]{1,255}$"
EXTRA_SPECS = {"type": "object",
               "patternProperties": {_EXTRA_SPEC_KEY: {"type": ["string", "number",
                                                                "boolean"],
                                                       "maxLength": 255}},
               "additionalProperties": False}

CREATE = {
    "type": "object",
    "properties": {"flavor": {
        "type": "object",
        "properties": {
            "name": common.NAME,
            "id": {"type": ["string", "null"], "minLength": 1, "maxLength": 255,
                   "pattern": r"^(?! )[a-zA-Z0-9. _-]+(?<! )$"},
            "ram": dict(common.POSITIVE_INT),
            "vcpus": dict(common.POSITIVE_INT),
            "disk": dict(common.NON_NEGATIVE_INT),
            "OS-FLV-EXT-DATA:ephemeral": dict(common.NON_NEGATIVE_INT),
            "swap": dict(common.NON_NEGATIVE_INT),
            "rxtx_factor": {"type": ["number", "string"], "pattern": r"^[0-9]+(\.[0-9]+)?$",
                            "exclusiveMinimum": 0, "maximum": 3.40282e38, "maxLength": 40},
            "os-flavor-access:is_public": common.BOOLEAN,
            "description": common.DESCRIPTION,
        },
        "required": ["name", "ram", "vcpus", "disk"],
        "additionalProperties": False}},
    "required": ["flavor"],
    "additionalProperties": False,
}

UPDATE = {"type": "object",
          "properties": {"flavor": {"type": "object",
                                    "properties": {"description": common.DESCRIPTION},
                                    "required": ["description"],
                                    "additionalProperties": False}},
          "required": ["flavor"], "additionalProperties": False}

SPECS_BODY = {"type": "object", "properties": {"extra_specs": EXTRA_SPECS},
              "required": ["extra_specs"], "additionalProperties": False}
ONE_SPEC = dict(EXTRA_SPECS, minProperties=1, maxProperties=1)


def summary(req, flavor):
    body = {"id": flavor.id, "name": flavor.name,
            "links": common.links(req, f"/flavors/{flavor.id}")}
    if req.context.microversion >= (2, 55):
        body["description"] = flavor.description
    return body


def detail(req, flavor):
    version = req.context.microversion
    body = dict(summary(req, flavor), **{
        "ram": flavor.memory_mb, "vcpus": flavor.vcpus, "disk": flavor.root_gb,
        "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral_gb,
        "OS-FLV-DISABLED:disabled": flavor.disabled,
        "swap": flavor.swap if flavor.swap or version >= (2, 75) else "",
        "rxtx_factor": flavor.rxtx_factor,
        "os-flavor-access:is_public": flavor.is_public})
    if version >= (2, 61):
        body["extra_specs"] = flavor_store.extra_specs(flavor)
    return body


def _visible(session, auth, flavor_id):
    flavor = flavor_store.find(session, flavor_id)
    if flavor is None or (not flavor.is_public and not auth.is_admin):
        raise errors.NotFound(f"Flavor {flavor_id} could not be found.")
    return flavor


def _spec_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _FlavorList:
    def __init__(self, svc):
        self.svc = svc

    def list(self, req, view, path):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:flavors:read")
        params = req.params
        query = select(models.Flavor).where(models.Flavor.disabled.is_(False))
        is_public = params.get("is_public")
        if is_public is not None and is_public.lower() == "none":
            visibility = None if auth.is_admin else True    # every flavor, for admins
        else:
            visibility = True if is_public is None else common.to_bool(is_public)
            visibility = visibility or not auth.is_admin
        if visibility is not None:
            query = query.where(models.Flavor.is_public.is_(visibility))
        if params.get("minRam"):
            query = query.where(models.Flavor.memory_mb >= common.to_int(params["minRam"],
                                                                         "minRam"))
        if params.get("minDisk"):
            query = query.where(models.Flavor.root_gb >= common.to_int(params["minDisk"],
                                                                       "minDisk"))
        sort_keys = {"id": models.Flavor.id, "name": models.Flavor.name,
                     "memory_mb": models.Flavor.memory_mb, "vcpus": models.Flavor.vcpus,
                     "root_gb": models.Flavor.root_gb, "flavorid": models.Flavor.id,
                     "created_at": models.Flavor.created_at}
        sort_key = params.get("sort_key", "flavorid")
        if sort_key not in sort_keys:
            raise errors.BadRequest(f"Invalid sort_key {sort_key!r}")
        column = sort_keys[sort_key]
        query = query.order_by(column.desc() if params.get("sort_dir") == "desc"
                               else column.asc(), models.Flavor.id)
        with self.svc.db.session() as session:
            found = list(session.scalars(query))
        limit, marker = common.page_params(req, self.svc.conf.compute.max_limit)
        page = common.paginate(found, limit, marker, lambda f: f.id)
        body = {"flavors": [view(req, flavor) for flavor in page]}
        more = common.next_link(req, path, page, limit, lambda f: f.id)
        if more:
            body["flavors_links"] = more
        return body


class Flavors(_FlavorList):
    def on_get(self, req, resp):
        resp.media = self.list(req, summary, "/flavors")

    def on_post(self, req, resp):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-flavor-manage")
        spec = common.body(req, CREATE)["flavor"]
        if "description" in spec and req.context.microversion < (2, 55):
            raise errors.BadRequest("Invalid input for field/attribute flavor. Additional "
                                    "properties are not allowed ('description' was "
                                    "unexpected)")
        flavor_id = spec.get("id") or str(uuid.uuid4())
        with self.svc.db.session() as session:
            if flavor_store.find(session, flavor_id) is not None:
                raise errors.Conflict(f"Flavor with ID {flavor_id} already exists.")
            if flavor_store.by_name(session, spec["name"]) is not None:
                raise errors.Conflict(f"Flavor with name {spec['name']} already exists.")
            flavor = models.Flavor(
                id=flavor_id, name=spec["name"],
                memory_mb=common.to_int(spec["ram"], "ram", 1),
                vcpus=common.to_int(spec["vcpus"], "vcpus", 1),
                root_gb=common.to_int(spec["disk"], "disk"),
                ephemeral_gb=common.to_int(spec.get("OS-FLV-EXT-DATA:ephemeral", 0),
                                           "OS-FLV-EXT-DATA:ephemeral"),
                swap=common.to_int(spec.get("swap") or 0, "swap"),
                rxtx_factor=float(spec.get("rxtx_factor", 1.0)),
                is_public=common.to_bool(spec.get("os-flavor-access:is_public", True)),
                disabled=False, description=spec.get("description"), extra_specs=[])
            session.add(flavor)
        resp.media = {"flavor": detail(req, flavor)}


class FlavorsDetail(_FlavorList):
    def on_get(self, req, resp):
        resp.media = self.list(req, detail, "/flavors/detail")


class Flavor:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, flavor_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:flavors:read")
        with self.svc.db.session() as session:
            resp.media = {"flavor": detail(req, _visible(session, auth, flavor_id))}

    def on_put(self, req, resp, flavor_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-flavor-manage")
        if req.context.microversion < (2, 55):
            raise errors.MethodNotAllowed("Changing a flavor needs microversion 2.55.")
        description = common.body(req, UPDATE)["flavor"]["description"]
        with self.svc.db.session() as session:
            flavor = _visible(session, auth, flavor_id)
            flavor.description = description
            resp.media = {"flavor": detail(req, flavor)}

    def on_delete(self, req, resp, flavor_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-flavor-manage")
        with self.svc.db.session() as session:
            session.delete(_visible(session, auth, flavor_id))
        resp.status = falcon.HTTP_202


class ExtraSpecs:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, flavor_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:flavors:read")
        with self.svc.db.session() as session:
            flavor = _visible(session, auth, flavor_id)
            resp.media = {"extra_specs": flavor_store.extra_specs(flavor)}

    def on_post(self, req, resp, flavor_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-flavor-manage")
        specs = common.body(req, SPECS_BODY)["extra_specs"]
        with self.svc.db.session() as session:
            flavor = _visible(session, auth, flavor_id)
            set_specs(flavor, specs)
            resp.media = {"extra_specs": flavor_store.extra_specs(flavor)}


def set_specs(flavor, specs):
    existing = {spec.key: spec for spec in flavor.extra_specs}
    for key, value in specs.items():
        if key in existing:
            existing[key].value = _spec_value(value)
        else:
            flavor.extra_specs.append(models.FlavorExtraSpec(key=key,
                                                             value=_spec_value(value)))


class ExtraSpec:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, flavor_id, key):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:flavors:read")
        with self.svc.db.session() as session:
            specs = flavor_store.extra_specs(_visible(session, auth, flavor_id))
        if key not in specs:
            raise errors.NotFound(f"Flavor {flavor_id} has no extra specs with key {key}.")
        resp.media = {key: specs[key]}

    def on_put(self, req, resp, flavor_id, key):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-flavor-manage")
        spec = common.body(req, ONE_SPEC)
        if key not in spec:
            raise errors.BadRequest("Request body and URI mismatch")
        with self.svc.db.session() as session:
            set_specs(_visible(session, auth, flavor_id), spec)
        resp.media = {key: _spec_value(spec[key])}

    def on_delete(self, req, resp, flavor_id, key):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-flavor-manage")
        with self.svc.db.session() as session:
            flavor = _visible(session, auth, flavor_id)
            match = [spec for spec in flavor.extra_specs if spec.key == key]
            if not match:
                raise errors.NotFound(f"Flavor {flavor_id} has no extra specs with key "
                                      f"{key}.")
            flavor.extra_specs.remove(match[0])
        resp.status = falcon.HTTP_202
