"""``/v2/images``: create, list, show, update (JSON patch), delete, and tags."""
import urllib.parse

import falcon

from controller import policy
from controller.api import errors
from controller.image import listing, patch, schemas, views
from controller.image.api import common, imports
from controller.image.records import authorize_visibility, check_property_name

CREATE_ATTRIBUTES = ("id", *patch.CORE_EDITABLE)
DEFAULT_VISIBILITY = "shared"   # Glance's default since Ocata: private until shared


class _ImageResourceBase:
    def __init__(self, services):
        self.conf = services.conf
        self.records = services.records
        self.schema = self.records.schema
        self.read_only = self.records.read_only

    def _check_settable(self, name):
        try:
            patch.check_settable(name, self.read_only)
        except patch.PatchForbidden as exc:
            raise errors.Forbidden(str(exc))


class Images(_ImageResourceBase):
    def on_post(self, req, resp):
        auth = req.context.auth
        body = common.read_object(req)
        for name in body:
            if name != "id":
                self._check_settable(name)
            check_property_name(name)
        try:
            schemas.validate(self.schema, body)
        except schemas.SchemaError as exc:
            raise errors.BadRequest(str(exc))
        owner = body.get("owner") or auth.project_id
        policy.authorize(auth, "image:add_image", {"project_id": owner})
        visibility = body.get("visibility", DEFAULT_VISIBILITY)
        authorize_visibility(auth, visibility)
        properties = {k: v for k, v in body.items() if k not in CREATE_ATTRIBUTES}
        tags = sorted(set(body.get("tags", ())))
        core = {k: v for k, v in body.items() if k in CREATE_ATTRIBUTES}
        image = self.records.create(body.get("id"), owner, visibility, core, properties,
                                    tags)
        resp.status = falcon.HTTP_201
        resp.location = f"{req.prefix}/v2/images/{image.id}"
        resp.set_header(imports.METHODS_HEADER, ",".join(imports.METHODS))
        resp.media = views.image(image)

    def on_get(self, req, resp):
        auth = req.context.auth
        policy.authorize(auth, "image:get_images")
        params = {name: value if isinstance(value, list) else [value]
                  for name, value in req.params.items()}
        try:
            query = listing.parse(params, self.conf.image.limit_param_default,
                                  self.conf.image.api_limit_max)
        except listing.InvalidQuery as exc:
            raise errors.BadRequest(str(exc))
        images, more = self.records.list(auth, query)
        body = {"images": [views.image(image) for image in images],
                "first": "/v2/images", "schema": "/v2/schemas/images"}
        if more and images:       # limit=0: an empty page with nothing to follow
            following = {**params, "marker": [images[-1].id]}
            body["next"] = "/v2/images?" + urllib.parse.urlencode(following, doseq=True)
        resp.media = body


class ImageResource(_ImageResourceBase):
    def on_get(self, req, resp, image_id):
        resp.media = views.image(self.records.show(req.context.auth, image_id))

    def on_patch(self, req, resp, image_id):
        operations = common.read_json(req, tuple(patch.MEDIA_TYPES))
        try:
            operations = patch.as_rfc6902(operations, req.content_type)
        except patch.PatchError as exc:
            raise errors.BadRequest(str(exc))
        resp.media = views.image(self.records.update(req.context.auth, image_id, operations))

    def on_delete(self, req, resp, image_id):
        self.records.delete(req.context.auth, image_id)
        resp.status = falcon.HTTP_204


class ImageAction:
    """``POST /v2/images/{id}/actions/deactivate|reactivate`` (the owner's members or
    admins), 204 either way."""

    ACTIONS = {"deactivate": False, "reactivate": True}

    def __init__(self, services):
        self.records = services.records

    def on_post(self, req, resp, image_id, action):
        if action not in self.ACTIONS:
            raise errors.NotFound(f"Image action {action!r} does not exist; use "
                                  f"deactivate or reactivate.")
        self.records.set_active(req.context.auth, image_id, self.ACTIONS[action])
        resp.status = falcon.HTTP_204


class ImageTagResource:
    def __init__(self, services):
        self.records = services.records

    def on_put(self, req, resp, image_id, tag):
        if len(tag) > 255:
            raise errors.BadRequest("Tags may be at most 255 characters long.")
        self.records.add_tag(req.context.auth, image_id, tag)
        resp.status = falcon.HTTP_204

    def on_delete(self, req, resp, image_id, tag):
        self.records.remove_tag(req.context.auth, image_id, tag)
        resp.status = falcon.HTTP_204
