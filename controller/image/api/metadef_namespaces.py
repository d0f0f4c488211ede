"""``/v2/metadefs/namespaces`` and ``/v2/metadefs/resource_types``: the metadata
definitions catalog's namespaces and the resource types they apply to."""
import dataclasses
import urllib.parse

import falcon

from controller.image import metadef_schemas
from controller.image.api import metadef_common
from controller.image.metadef_namespaces import NAMESPACE_SORT_KEYS


@dataclasses.dataclass
class Metadefs:
    """The catalog's operations, handed to every metadefs resource."""
    conf: object
    namespaces: object      # metadef_namespaces.MetadefNamespaces
    objects: object         # metadef_contents.MetadefObjects
    properties: object      # metadef_contents.MetadefProperties
    tags: object            # metadef_contents.MetadefTags


class Namespaces:
    def __init__(self, metadefs):
        self.conf = metadefs.conf
        self.namespaces = metadefs.namespaces
        self.schema = metadef_schemas.namespace_schema()

    def on_get(self, req, resp):
        page = metadef_common.page(req, NAMESPACE_SORT_KEYS,
                                   self.conf.image.limit_param_default,
                                   self.conf.image.api_limit_max)
        visibility = metadef_common.visibility_filter(req, ("public", "private"))
        resource_types = [name for name in (req.get_param("resource_types") or "").split(",")
                          if name]
        namespaces, next_marker = self.namespaces.list(req.context.auth, page, visibility,
                                                       resource_types)
        params = [(k, v) for k, v in urllib.parse.parse_qsl(req.query_string)
                  if k != "marker"]
        first = "/v2/metadefs/namespaces"
        body = {"namespaces": namespaces,
                "first": f"{first}?{urllib.parse.urlencode(params)}" if params else first,
                "schema": "/v2/schemas/metadefs/namespaces"}
        if next_marker is not None:
            body["next"] = f"{first}?{urllib.parse.urlencode([*params, ('marker', next_marker)])}"
        resp.media = body

    def on_post(self, req, resp):
        body = metadef_common.read_body(req, self.schema, metadef_common.LINKS_AND_STAMPS)
        namespace = self.namespaces.create(req.context.auth, body)
        resp.status = falcon.HTTP_201
        resp.location = f"{req.prefix}{namespace['self']}"
        resp.media = namespace


class Namespace:
    def __init__(self, metadefs):
        self.namespaces = metadefs.namespaces
        self.schema = metadef_schemas.namespace_schema()

    def on_get(self, req, resp, namespace):
        resp.media = self.namespaces.show(req.context.auth, namespace,
                                          req.get_param("resource_type"))

    def on_put(self, req, resp, namespace):
        body = metadef_common.read_body(req, self.schema, metadef_common.LINKS_AND_STAMPS)
        resp.media = self.namespaces.update(req.context.auth, namespace, body)

    def on_delete(self, req, resp, namespace):
        self.namespaces.delete(req.context.auth, namespace)
        resp.status = falcon.HTTP_204


class ResourceTypes:
    def __init__(self, metadefs):
        self.namespaces = metadefs.namespaces

    def on_get(self, req, resp):
        resp.media = {"resource_types": self.namespaces.resource_types(req.context.auth)}


class Associations:
    """``/v2/metadefs/namespaces/{namespace}/resource_types``."""

    def __init__(self, metadefs):
        self.namespaces = metadefs.namespaces
        self.schema = metadef_schemas.association_schema()

    def on_get(self, req, resp, namespace):
        resp.media = {"resource_type_associations":
                      self.namespaces.associations(req.context.auth, namespace)}

    def on_post(self, req, resp, namespace):
        body = metadef_common.read_body(req, self.schema)
        resp.media = self.namespaces.associate(req.context.auth, namespace, body)
        resp.status = falcon.HTTP_201


class Association:
    def __init__(self, metadefs):
        self.namespaces = metadefs.namespaces

    def on_delete(self, req, resp, namespace, resource_type):
        self.namespaces.dissociate(req.context.auth, namespace, resource_type)
        resp.status = falcon.HTTP_204
