"""``/flavors``: the sizes servers come in — anyone lists them, admins manage them —
and their extra specs (hints for the scheduler and the virt driver)."""
import uuid

import falcon

from controller import policy
from controller.api import errors
from controller.compute import flavors as flavor_store
from controller.compute.api import common
from controller.compute.operations import flavors

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
            # Nova takes a number too, and keeps its text.
            "id": {"type": ["string", "number", "null"], "minLength": 1, "maxLength": 255,
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


def _flavor_id(requested):
    """The id a new flavor gets: the one asked for, as text (a JSON number as Nova
    writes it: ``str()``), else a new UUID."""
    if requested is None or requested == "":
        return str(uuid.uuid4())
    return str(requested)


class _FlavorList:
    def __init__(self, svc):
        self.svc = svc

    def list(self, req, view, path):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:flavors:read")
        params = req.params
        is_public = params.get("is_public")
        if is_public is not None and is_public.lower() == "none":
            visibility = None if auth.is_admin else True    # every flavor, for admins
        else:
            visibility = (True if is_public is None
                          else common.strict_bool(is_public, "is_public"))
            visibility = visibility or not auth.is_admin
        min_ram = (common.to_int(params["minRam"], "minRam") if params.get("minRam")
                   else None)
        min_disk = (common.to_int(params["minDisk"], "minDisk") if params.get("minDisk")
                    else None)
        sort_key = params.get("sort_key", "flavorid")
        if sort_key not in flavors.SORT_KEYS:
            raise errors.BadRequest(f"Invalid sort_key {sort_key!r}")
        found = flavors.list_flavors(self.svc.db, visibility, min_ram, min_disk, sort_key,
                                     descending=params.get("sort_dir") == "desc",
                                     project_id=None if auth.is_admin else auth.project_id)
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
        flavor = flavors.create(
            self.svc.db, _flavor_id(spec.get("id")), spec["name"],
            memory_mb=common.to_int(spec["ram"], "ram", 1),
            vcpus=common.to_int(spec["vcpus"], "vcpus", 1),
            root_gb=common.to_int(spec["disk"], "disk"),
            ephemeral_gb=common.to_int(spec.get("OS-FLV-EXT-DATA:ephemeral", 0),
                                       "OS-FLV-EXT-DATA:ephemeral"),
            swap=common.to_int(spec.get("swap") or 0, "swap"),
            rxtx_factor=float(spec.get("rxtx_factor", 1.0)),
            is_public=common.to_bool(spec.get("os-flavor-access:is_public", True)),
            description=spec.get("description"))
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
        resp.media = {"flavor": detail(req, flavors.get(self.svc.db, auth, flavor_id))}

    def on_put(self, req, resp, flavor_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-flavor-manage")
        if req.context.microversion < (2, 55):
            raise errors.MethodNotAllowed("Changing a flavor needs microversion 2.55.")
        description = common.body(req, UPDATE)["flavor"]["description"]
        resp.media = {"flavor": detail(req, flavors.set_description(
            self.svc.db, auth, flavor_id, description))}

    def on_delete(self, req, resp, flavor_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-flavor-manage")
        flavors.delete(self.svc.db, auth, flavor_id)
        resp.status = falcon.HTTP_202


class ExtraSpecs:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, flavor_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:flavors:read")
        resp.media = {"extra_specs": flavors.get_extra_specs(self.svc.db, auth, flavor_id)}

    def on_post(self, req, resp, flavor_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-flavor-manage")
        specs = common.body(req, SPECS_BODY)["extra_specs"]
        resp.media = {"extra_specs": flavors.set_extra_specs(self.svc.db, auth, flavor_id,
                                                             specs)}


class ExtraSpec:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, flavor_id, key):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:flavors:read")
        resp.media = flavors.get_extra_spec(self.svc.db, auth, flavor_id, key)

    def on_put(self, req, resp, flavor_id, key):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-flavor-manage")
        spec = common.body(req, ONE_SPEC)
        if key not in spec:
            raise errors.BadRequest("Request body and URI mismatch")
        resp.media = flavors.set_extra_spec(self.svc.db, auth, flavor_id, key, spec[key])

    def on_delete(self, req, resp, flavor_id, key):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-flavor-manage")
        flavors.delete_extra_spec(self.svc.db, auth, flavor_id, key)
        resp.status = falcon.HTTP_200   # Nova answers an unset with 200


_TENANT = {"type": "object", "properties": {"tenant": {"type": "string", "minLength": 1,
                                                        "maxLength": 255}},
           "required": ["tenant"], "additionalProperties": False}
ACCESS_ACTIONS = {"type": "object",
                  "properties": {"addTenantAccess": _TENANT, "removeTenantAccess": _TENANT},
                  "minProperties": 1, "maxProperties": 1, "additionalProperties": False}


class FlavorAccess:
    """``/flavors/{id}/os-flavor-access``: the projects a private flavor is open to."""

    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, flavor_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-flavor-access")
        resp.media = {"flavor_access": flavors.list_access(self.svc.db, auth, flavor_id)}


class FlavorAction:
    """``/flavors/{id}/action``: addTenantAccess and removeTenantAccess."""

    def __init__(self, svc):
        self.svc = svc

    def on_post(self, req, resp, flavor_id):
        auth = req.context.auth
        name, argument = next(iter(common.body(req, ACCESS_ACTIONS).items()))
        if name == "addTenantAccess":
            policy.authorize(auth, "os_compute_api:os-flavor-access:add_tenant_access")
            found = flavors.add_access(self.svc.db, auth, flavor_id, argument["tenant"],
                                       refuse_public=req.context.microversion >= (2, 7))
        else:
            policy.authorize(auth, "os_compute_api:os-flavor-access:remove_tenant_access")
            found = flavors.remove_access(self.svc.db, auth, flavor_id, argument["tenant"])
        resp.media = {"flavor_access": found}
