"""``/v2/metadefs/namespaces/{namespace}/{objects,properties,tags}``: what a namespace
holds. One collection resource and one item resource serve every kind; a ``_Kind`` says
what sets a kind apart (how its bodies read, how it lists). ``DELETE`` on a collection
empties it."""
import falcon
from oslo_utils import strutils

from controller.api import errors
from controller.image import metadef_schemas
from controller.image.api import metadef_common

SORT_KEYS = ("created_at", "updated_at", "name")


def _validate(schema, document):
    try:
        metadef_schemas.validate(schema, document)
    except ValueError as exc:
        raise errors.BadRequest(str(exc))


class _Kind:
    """One kind of content: ``part`` names the namespace's attribute, the URL segment
    and the operations (``Metadefs.<part>``); ``read(req)`` is the body of a create or
    update of one as the operations take it, ``listing`` the collection's answer."""
    part = None

    def create(self, req, contents, namespace):
        return contents.create(req.context.auth, namespace, self.read(req))

    def show(self, req, contents, namespace, name):
        return contents.show(req.context.auth, namespace, name)


class _Objects(_Kind):
    part = "objects"

    def read(self, req):
        """An object definition; each of its properties must be a valid property too."""
        body = metadef_common.read_body(req, metadef_schemas.object_schema(),
                                        metadef_common.LINKS_AND_STAMPS)
        for definition in (body.get("properties") or {}).values():
            _validate(metadef_schemas.property_schema(require_name=False), definition)
        return body

    def listing(self, req, contents, namespace):
        metadef_common.page(req, SORT_KEYS)     # validated only: Glance lists them all
        return {"objects": contents.list(req.context.auth, namespace),
                "schema": "v2/schemas/metadefs/objects"}


class _Properties(_Kind):
    part = "properties"

    def read(self, req):
        return metadef_common.read_body(req, metadef_schemas.property_schema())

    def listing(self, req, contents, namespace):
        return {"properties": contents.list(req.context.auth, namespace)}

    def show(self, req, contents, namespace, name):
        return contents.show(req.context.auth, namespace, name,
                             req.get_param("resource_type"))


class _Tags(_Kind):
    part = "tags"

    def read(self, req):
        """A rename: the tag's new name."""
        return metadef_common.read_body(req, metadef_schemas.tag_schema())["name"]

    def listing(self, req, contents, namespace):
        page = metadef_common.page(req, SORT_KEYS)
        return {"tags": contents.list(req.context.auth, namespace, page)}

    def create(self, req, contents, namespace):
        """Many at once, replacing the namespace's (or added with X-Openstack-Append)."""
        body = metadef_common.read_body(req, metadef_schemas.tags_request_schema())
        names = [tag["name"] for tag in body.get("tags", ())]
        for name in names:
            check_tag_name(name)
        append = strutils.bool_from_string(req.get_header("X-Openstack-Append"))
        return {"tags": contents.create_many(req.context.auth, namespace, names, append)}


def check_tag_name(name):
    _validate(metadef_schemas.tag_schema(), {"name": name})


class _Collection:
    kind = None

    def __init__(self, metadefs):
        self.namespaces = metadefs.namespaces
        self.contents = getattr(metadefs, self.kind.part)

    def on_get(self, req, resp, namespace):
        resp.media = self.kind.listing(req, self.contents, namespace)

    def on_post(self, req, resp, namespace):
        resp.media = self.kind.create(req, self.contents, namespace)
        resp.status = falcon.HTTP_201

    def on_delete(self, req, resp, namespace):
        self.namespaces.delete_contents(req.context.auth, namespace, self.kind.part)
        resp.status = falcon.HTTP_204


class _Item:
    kind = None

    def __init__(self, metadefs):
        self.contents = getattr(metadefs, self.kind.part)

    def on_get(self, req, resp, namespace, name):
        resp.media = self.kind.show(req, self.contents, namespace, name)

    def on_put(self, req, resp, namespace, name):
        resp.media = self.contents.update(req.context.auth, namespace, name,
                                          self.kind.read(req))

    def on_delete(self, req, resp, namespace, name):
        self.contents.delete(req.context.auth, namespace, name)
        resp.status = falcon.HTTP_204


class Objects(_Collection):
    kind = _Objects()


class Object(_Item):
    kind = _Objects()


class Properties(_Collection):
    kind = _Properties()


class Property(_Item):
    kind = _Properties()


class Tags(_Collection):
    kind = _Tags()


class Tag(_Item):
    """A tag is also created alone, by name, with no body."""
    kind = _Tags()

    def on_post(self, req, resp, namespace, name):
        check_tag_name(name)
        resp.media = self.contents.create(req.context.auth, namespace, name)
        resp.status = falcon.HTTP_201
