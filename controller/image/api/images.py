"""``/v2/images``: create, list, show, update (JSON patch), delete, and tags."""
import urllib.parse

import falcon
from sqlalchemy.exc import IntegrityError

from controller import policy
from controller.api import errors
from controller.db.base import utcnow
from controller.image import listing, patch, schemas, status, views
from controller.image.api import common, imports
from controller.image.data import image_target
from controller.image.models import Image, ImageProperty, ImageTag
from controller.image.repository import get_image, list_images

CREATE_ATTRIBUTES = ("id", *patch.CORE_EDITABLE)
DEFAULT_VISIBILITY = "shared"   # Glance's default since Ocata: private until shared
_ABSENT = object()


def authorize_visibility(auth, visibility):
    if visibility == "public":
        policy.authorize(auth, "image:publicize_image")
    elif visibility == "community":
        policy.authorize(auth, "image:communitize_image")


def check_quotas(conf, properties, tags):
    if len(properties) > conf.image.image_property_quota:
        raise errors.RequestEntityTooLarge(
            f"An image may have at most {conf.image.image_property_quota} properties.")
    if len(tags) > conf.image.image_tag_quota:
        raise errors.RequestEntityTooLarge(
            f"An image may have at most {conf.image.image_tag_quota} tags.")


def _property_name_ok(name):
    if not name or len(name) > 255:
        raise errors.BadRequest(f"Property names must be 1 to 255 characters: {name!r}.")


class _ImageResourceBase:
    def __init__(self, services):
        self.conf = services.conf
        self.db = services.db
        self.store = services.store
        self.schema = schemas.image_schema(services.conf)
        self.read_only = schemas.read_only_attributes(services.conf)

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
            _property_name_ok(name)
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
        check_quotas(self.conf, properties, tags)
        now = utcnow()
        image = Image(name=body.get("name"), owner=owner, status=status.QUEUED,
                      visibility=visibility, protected=body.get("protected", False),
                      os_hidden=body.get("os_hidden", False),
                      disk_format=body.get("disk_format"),
                      container_format=body.get("container_format"),
                      min_disk=body.get("min_disk", 0), min_ram=body.get("min_ram", 0),
                      created_at=now, updated_at=now,
                      properties=[ImageProperty(name=k, value=v)
                                  for k, v in properties.items()],
                      tags=[ImageTag(value=tag) for tag in tags])
        if body.get("id"):
            image.id = body["id"].lower()
        try:
            with self.db.session() as session:
                session.add(image)
                session.flush()
                result = views.image(image)
        except IntegrityError:
            raise errors.Conflict(f"Image with identifier {body['id']} already exists.")
        resp.status = falcon.HTTP_201
        resp.location = f"{req.prefix}/v2/images/{image.id}"
        resp.set_header(imports.METHODS_HEADER, ",".join(imports.METHODS))
        resp.media = result

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
        with self.db.session() as session:
            images, more = list_images(session, auth, query)
            body = {"images": [views.image(image) for image in images],
                    "first": "/v2/images", "schema": "/v2/schemas/images"}
        if more and images:       # limit=0: an empty page with nothing to follow
            following = {**params, "marker": [images[-1].id]}
            body["next"] = "/v2/images?" + urllib.parse.urlencode(following, doseq=True)
        resp.media = body


class ImageResource(_ImageResourceBase):
    def on_get(self, req, resp, image_id):
        auth = req.context.auth
        with self.db.session() as session:
            image = get_image(session, auth, image_id)
            policy.authorize(auth, "image:get_image", image_target(image))
            resp.media = views.image(image)

    def on_patch(self, req, resp, image_id):
        auth = req.context.auth
        operations = common.read_json(req, (patch.MEDIA_TYPE,))
        with self.db.session() as session:
            image = get_image(session, auth, image_id, for_update=True)
            policy.authorize(auth, "image:modify_image", image_target(image))
            document = editable_document(image)
            try:
                changed = patch.apply(document, operations, self.read_only)
            except patch.PatchError as exc:
                raise _patch_error(exc)
            for name in changed:
                _property_name_ok(name)
            try:
                schemas.validate(self.schema, changed)
            except schemas.SchemaError as exc:
                raise errors.BadRequest(str(exc))
            self._apply(auth, image, document, changed)
            session.flush()
            resp.media = views.image(image)

    def _apply(self, auth, image, before, after):
        """Write the patched document back to the image, checking what each change needs."""
        changes = {name: after.get(name) for name in before.keys() | after.keys()
                   if before.get(name, _ABSENT) != after.get(name, _ABSENT)}
        if "visibility" in changes:
            authorize_visibility(auth, changes["visibility"])
        if "owner" in changes:
            policy.authorize(auth, "image:add_image", {"project_id": changes["owner"]})
        for name in ("disk_format", "container_format"):
            if name in changes and image.status != status.QUEUED:
                raise errors.Forbidden(f"Attribute {name} can only be changed while the "
                                       f"image is queued.")
        properties = {k: v for k, v in after.items() if k not in patch.CORE_EDITABLE}
        tags = sorted(set(after["tags"]))
        check_quotas(self.conf, properties, tags)
        for name in patch.CORE_EDITABLE:
            if name != "tags" and name in changes:
                setattr(image, name, changes[name])
        image.properties[:] = [p for p in image.properties if p.name in properties]
        existing = {p.name: p for p in image.properties}
        for name, value in properties.items():
            if name in existing:
                existing[name].value = value
            else:
                image.properties.append(ImageProperty(name=name, value=value))
        image.tags[:] = [t for t in image.tags if t.value in tags]
        present = {t.value for t in image.tags}
        image.tags.extend(ImageTag(value=tag) for tag in tags if tag not in present)
        image.updated_at = utcnow()

    def on_delete(self, req, resp, image_id):
        auth = req.context.auth
        with self.db.session() as session:
            image = get_image(session, auth, image_id, for_update=True)
            policy.authorize(auth, "image:delete_image", image_target(image))
            if image.protected:
                raise errors.Forbidden(f"Image {image_id} is protected and cannot be "
                                       f"deleted.")
            # Any status may end in deleted; the record then goes (no soft delete).
            status.advance(image.status, status.DELETED)
            session.delete(image)
        # After the commit: a crash in between leaves an orphan file, swept at start.
        self.store.delete(image_id)
        resp.status = falcon.HTTP_204


def editable_document(image):
    """The image as the flat object a JSON patch edits."""
    document = {name: getattr(image, name) for name in patch.CORE_EDITABLE if name != "tags"}
    document["tags"] = sorted(tag.value for tag in image.tags)
    document.update({prop.name: prop.value for prop in image.properties})
    return document


def _patch_error(exc):
    return {400: errors.BadRequest, 403: errors.Forbidden,
            409: errors.Conflict}[exc.status](str(exc))


class ImageTagResource:
    def __init__(self, services):
        self.conf = services.conf
        self.db = services.db

    def on_put(self, req, resp, image_id, tag):
        auth = req.context.auth
        if len(tag) > 255:
            raise errors.BadRequest("Tags may be at most 255 characters long.")
        with self.db.session() as session:
            image = get_image(session, auth, image_id, for_update=True)
            policy.authorize(auth, "image:modify_image", image_target(image))
            if tag not in {t.value for t in image.tags}:
                if len(image.tags) >= self.conf.image.image_tag_quota:
                    raise errors.RequestEntityTooLarge(
                        f"An image may have at most {self.conf.image.image_tag_quota} tags.")
                image.tags.append(ImageTag(value=tag))
                image.updated_at = utcnow()
        resp.status = falcon.HTTP_204

    def on_delete(self, req, resp, image_id, tag):
        auth = req.context.auth
        with self.db.session() as session:
            image = get_image(session, auth, image_id, for_update=True)
            policy.authorize(auth, "image:modify_image", image_target(image))
            found = [t for t in image.tags if t.value == tag]
            if not found:
                raise errors.NotFound(f"Tag {tag} not found on image {image_id}.")
            image.tags.remove(found[0])
            image.updated_at = utcnow()
        resp.status = falcon.HTTP_204
