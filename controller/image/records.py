"""Image records: create, list, show, update (JSON patch), delete and tag, each in one
transaction.

What an image's own row decides is checked here against the row as read (or locked):
the policy target is its owner and visibility (as in ``data``), its status says whether
the formats may still change, and the quotas bound its properties and tags.
"""
from sqlalchemy.exc import IntegrityError

from controller import policy
from controller.api import errors
from controller.db.base import utcnow
from controller.image import patch, schemas, status
from controller.image.data import image_target
from controller.image.models import Image, ImageProperty, ImageTag
from controller.image.repository import get_image, list_images

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


def check_property_name(name):
    if not name or len(name) > 255:
        raise errors.BadRequest(f"Property names must be 1 to 255 characters: {name!r}.")


def editable_document(image):
    """The image as the flat object a JSON patch edits."""
    document = {name: getattr(image, name) for name in patch.CORE_EDITABLE if name != "tags"}
    document["tags"] = sorted(tag.value for tag in image.tags)
    document.update({prop.name: prop.value for prop in image.properties})
    return document


def _patch_error(exc):
    return {400: errors.BadRequest, 403: errors.Forbidden,
            409: errors.Conflict}[exc.status](str(exc))


class ImageRecords:
    def __init__(self, conf, db, store):
        self.conf = conf
        self.db = db
        self.store = store
        self.schema = schemas.image_schema(conf)
        self.read_only = schemas.read_only_attributes(conf)

    def create(self, image_id, owner, visibility, core, properties, tags):
        """A new queued image; ``core``: its core attributes given at creation."""
        check_quotas(self.conf, properties, tags)
        now = utcnow()
        image = Image(name=core.get("name"), owner=owner, status=status.QUEUED,
                      visibility=visibility, protected=core.get("protected", False),
                      os_hidden=core.get("os_hidden", False),
                      disk_format=core.get("disk_format"),
                      container_format=core.get("container_format"),
                      min_disk=core.get("min_disk", 0), min_ram=core.get("min_ram", 0),
                      created_at=now, updated_at=now,
                      properties=[ImageProperty(name=k, value=v)
                                  for k, v in properties.items()],
                      tags=[ImageTag(value=tag) for tag in tags])
        if image_id:
            image.id = image_id.lower()
        try:
            with self.db.session() as session:
                session.add(image)
                session.flush()
        except IntegrityError:
            raise errors.Conflict(f"Image with identifier {image_id} already exists.")
        return image

    def list(self, auth, query):
        """One page of images for a ``listing.ListQuery``: (images, more_follow)."""
        with self.db.session() as session:
            return list_images(session, auth, query)

    def show(self, auth, image_id):
        with self.db.session() as session:
            image = get_image(session, auth, image_id)
            policy.authorize(auth, "image:get_image", image_target(image))
            return image

    def update(self, auth, image_id, operations):
        """Apply a JSON patch (``operations``) to the image; the image as it now is."""
        with self.db.session() as session:
            image = get_image(session, auth, image_id, for_update=True)
            policy.authorize(auth, "image:modify_image", image_target(image))
            document = editable_document(image)
            try:
                changed = patch.apply(document, operations, self.read_only)
            except patch.PatchError as exc:
                raise _patch_error(exc)
            for name in changed:
                check_property_name(name)
            try:
                schemas.validate(self.schema, changed)
            except schemas.SchemaError as exc:
                raise errors.BadRequest(str(exc))
            self._apply(auth, image, document, changed)
            session.flush()
            return image

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

    def delete(self, auth, image_id):
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

    def set_active(self, auth, image_id, active):
        """Deactivate (``active`` false) or reactivate an image; a no-op if it already is.

        Only an active or deactivated image may change (403 otherwise, as Glance)."""
        action = "reactivate" if active else "deactivate"
        wanted = status.ACTIVE if active else status.DEACTIVATED
        with self.db.session() as session:
            image = get_image(session, auth, image_id, for_update=True)
            policy.authorize(auth, f"image:{action}", image_target(image))
            if image.status == wanted:
                return
            if image.status not in (status.ACTIVE, status.DEACTIVATED):
                raise errors.Forbidden(f"Not allowed to {action} image in status "
                                       f"'{image.status}'.")
            image.status = status.advance(image.status, wanted)
            image.updated_at = utcnow()

    def add_tag(self, auth, image_id, tag):
        with self.db.session() as session:
            image = get_image(session, auth, image_id, for_update=True)
            policy.authorize(auth, "image:modify_image", image_target(image))
            if tag not in {t.value for t in image.tags}:
                if len(image.tags) >= self.conf.image.image_tag_quota:
                    raise errors.RequestEntityTooLarge(
                        f"An image may have at most {self.conf.image.image_tag_quota} tags.")
                image.tags.append(ImageTag(value=tag))
                image.updated_at = utcnow()

    def remove_tag(self, auth, image_id, tag):
        with self.db.session() as session:
            image = get_image(session, auth, image_id, for_update=True)
            policy.authorize(auth, "image:modify_image", image_target(image))
            found = [t for t in image.tags if t.value == tag]
            if not found:
                raise errors.NotFound(f"Tag {tag} not found on image {image_id}.")
            image.tags.remove(found[0])
            image.updated_at = utcnow()
