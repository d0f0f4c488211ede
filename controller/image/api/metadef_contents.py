"""``/v2/metadefs/namespaces/{namespace}/{objects,properties,tags}``: what a namespace
holds. ``DELETE`` on a collection empties it."""
import falcon
from oslo_utils import strutils

from controller.api import errors
from controller.image import metadef_schemas
from controller.image.api import metadef_common


class _Collection:
    part = None     # the namespace's attribute this collection is

    def __init__(self, metadefs):
        self.namespaces = metadefs.namespaces

    def on_delete(self, req, resp, namespace):
        self.namespaces.delete_contents(req.context.auth, namespace, self.part)
        resp.status = falcon.HTTP_204


class Objects(_Collection):
    part = "objects"

    def __init__(self, metadefs):
        super().__init__(metadefs)
        self.objects = metadefs.objects

    def on_get(self, req, resp, namespace):
        metadef_common.page(req, ("created_at", "updated_at", "name"))   # validated only
        resp.media = {"objects": self.objects.list(req.context.auth, namespace),
                      "schema": "v2/schemas/metadefs/objects"}

    def on_post(self, req, resp, namespace):
        body = read_object_body(req)
        resp.media = self.objects.create(req.context.auth, namespace, body)
        resp.status = falcon.HTTP_201


def read_object_body(req):
    """An object definition; each of its properties must be a valid property too."""
    body = metadef_common.read_body(req, metadef_schemas.object_schema(),
                                    metadef_common.LINKS_AND_STAMPS)
    for definition in (body.get("properties") or {}).values():
        try:
            metadef_schemas.validate(metadef_schemas.property_schema(require_name=False),
                                     definition)
        except ValueError as exc:
            raise errors.BadRequest(str(exc))
    return body


class Object:
    def __init__(self, metadefs):
        self.objects = metadefs.objects

    def on_get(self, req, resp, namespace, name):
        resp.media = self.objects.show(req.context.auth, namespace, name)

    def on_put(self, req, resp, namespace, name):
        body = read_object_body(req)
        resp.media = self.objects.update(req.context.auth, namespace, name, body)

    def on_delete(self, req, resp, namespace, name):
        self.objects.delete(req.context.auth, namespace, name)
        resp.status = falcon.HTTP_204


class Properties(_Collection):
    part = "properties"

    def __init__(self, metadefs):
        super().__init__(metadefs)
        self.properties = metadefs.properties

    def on_get(self, req, resp, namespace):
        resp.media = {"properties": self.properties.list(req.context.auth, namespace)}

    def on_post(self, req, resp, namespace):
        body = metadef_common.read_body(req, metadef_schemas.property_schema())
        resp.media = self.properties.create(req.context.auth, namespace, body)
        resp.status = falcon.HTTP_201


class Property:
    def __init__(self, metadefs):
        self.properties = metadefs.properties

    def on_get(self, req, resp, namespace, name):
        resp.media = self.properties.show(req.context.auth, namespace, name,
                                          req.get_param("resource_type"))

    def on_put(self, req, resp, namespace, name):
        body = metadef_common.read_body(req, metadef_schemas.property_schema())
        resp.media = self.properties.update(req.context.auth, namespace, name, body)

    def on_delete(self, req, resp, namespace, name):
        self.properties.delete(req.context.auth, namespace, name)
        resp.status = falcon.HTTP_204


class Tags(_Collection):
    part = "tags"

    def __init__(self, metadefs):
        super().__init__(metadefs)
        self.tags = metadefs.tags

    def on_get(self, req, resp, namespace):
        page = metadef_common.page(req, ("created_at", "updated_at", "name"))
        resp.media = {"tags": self.tags.list(req.context.auth, namespace, page)}

    def on_post(self, req, resp, namespace):
        body = metadef_common.read_body(req, metadef_schemas.tags_request_schema())
        names = [tag["name"] for tag in body.get("tags", ())]
        for name in names:
            _check_tag_name(name)
        append = strutils.bool_from_string(req.get_header("X-Openstack-Append"))
        resp.media = {"tags": self.tags.create_many(req.context.auth, namespace, names,
                                                    append)}
        resp.status = falcon.HTTP_201


def _check_tag_name(name):
    try:
        metadef_schemas.validate(metadef_schemas.tag_schema(), {"name": name})
    except ValueError as exc:
        raise errors.BadRequest(str(exc))


class Tag:
    def __init__(self, metadefs):
        self.tags = metadefs.tags

    def on_get(self, req, resp, namespace, name):
        resp.media = self.tags.show(req.context.auth, namespace, name)

    def on_post(self, req, resp, namespace, name):
        _check_tag_name(name)
        resp.media = self.tags.create(req.context.auth, namespace, name)
        resp.status = falcon.HTTP_201

    def on_put(self, req, resp, namespace, name):
        body = metadef_common.read_body(req, metadef_schemas.tag_schema())
        resp.media = self.tags.update(req.context.auth, namespace, name, body["name"])

    def on_delete(self, req, resp, namespace, name):
        self.tags.delete(req.context.auth, namespace, name)
        resp.status = falcon.HTTP_204
