"""``/images``: Nova's image proxy (list, detail, show, delete, metadata), answered only
up to microversion 2.35 as in Nova; each handler calls one ``ImageProxy`` operation."""
import datetime

import falcon

from controller.api import errors
from controller.compute.api import common
from controller.compute.operations import images
from controller.compute.operations.images import ImageProxy

PROXY_UNTIL = (2, 35)
_STATUS = {"active": "ACTIVE", "queued": "SAVING", "saving": "SAVING",
           "deleted": "DELETED", "pending_delete": "DELETED", "killed": "ERROR"}
_PROGRESS = {"queued": 25, "saving": 50, "active": 100}
_FILTERS = ("name", "status", "changes-since", "server", "type", "minRam", "minDisk")

METADATA = {"type": "object", "properties": {"metadata": common.METADATA},
            "required": ["metadata"], "additionalProperties": False}
ONE_ITEM = {"type": "object",
            "properties": {"meta": dict(common.METADATA, minProperties=1, maxProperties=1)},
            "required": ["meta"], "additionalProperties": False}


def _proxy(req, svc):
    """The proxy, for microversions that still have it (404 after, as Nova)."""
    if req.context.microversion > PROXY_UNTIL:
        raise errors.NotFound("The resource could not be found.")
    return ImageProxy(svc)


def _date(text):
    """Glance's time as Nova writes it (seconds, ``Z``)."""
    if not text:
        return None
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _links(req, svc, image_id):
    return common.links(req, f"/images/{image_id}") + [
        {"rel": "alternate", "type": "application/vnd.openstack.image",
         "href": f"{svc.image.client.base_url}/images/{image_id}"}]


def summary(req, svc, image):
    return {"id": image["id"], "name": image.get("name"),
            "links": _links(req, svc, image["id"])}


def detail(req, svc, image):
    metadata = images.properties(image)
    view = dict(summary(req, svc, image), **{
        "minRam": int(image.get("min_ram") or 0), "minDisk": int(image.get("min_disk") or 0),
        "metadata": metadata, "created": _date(image.get("created_at")),
        "updated": _date(image.get("updated_at")),
        "status": _STATUS.get(image.get("status"), "UNKNOWN"),
        "progress": _PROGRESS.get(image.get("status"), 0),
        "OS-EXT-IMG-SIZE:size": image.get("size")})
    server = metadata.get("instance_uuid")
    if server:
        view["server"] = {"id": server, "links": common.links(req, f"/servers/{server}")}
    if metadata.get("auto_disk_config") is not None:
        auto = common.to_bool(metadata["auto_disk_config"])
        view["OS-DCF:diskConfig"] = "AUTO" if auto else "MANUAL"
    return view


class _ImageList:
    def __init__(self, svc):
        self.svc = svc

    def list(self, req, view, path):
        proxy = _proxy(req, self.svc)
        auth = req.context.auth
        limit = req.get_param("limit")
        limit = None if limit is None else common.to_int(limit, "limit")
        filters = {name: req.params[name] for name in _FILTERS if name in req.params}
        found = proxy.list(auth, filters, limit, req.get_param("marker"))
        body = {"images": [view(req, self.svc, image) for image in found]}
        if limit is not None:
            more = common.next_link(req, path, found, limit, lambda image: image["id"])
            if more:
                body["images_links"] = more
        return body


class Images(_ImageList):
    def on_get(self, req, resp):
        resp.media = self.list(req, summary, "/images")


class ImagesDetail(_ImageList):
    def on_get(self, req, resp):
        resp.media = self.list(req, detail, "/images/detail")


class Image:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, image_id):
        resp.media = {"image": detail(req, self.svc,
                                      _proxy(req, self.svc).show(req.context.auth, image_id))}

    def on_delete(self, req, resp, image_id):
        _proxy(req, self.svc).delete(req.context.auth, image_id)
        resp.status = falcon.HTTP_204


class Metadata:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, image_id):
        resp.media = {"metadata": _proxy(req, self.svc).metadata(req.context.auth, image_id)}

    def on_post(self, req, resp, image_id):
        metadata = common.body(req, METADATA)["metadata"]
        resp.media = {"metadata": _proxy(req, self.svc).update_metadata(req.context.auth, image_id,
                                                               metadata)}

    def on_put(self, req, resp, image_id):
        metadata = common.body(req, METADATA)["metadata"]
        _proxy(req, self.svc).update_metadata(req.context.auth, image_id, metadata, replace=True)
        resp.media = {"metadata": metadata}


class MetadataItem:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, image_id, key):
        resp.media = {"meta": _proxy(req, self.svc).metadata_item(req.context.auth, image_id, key)}

    def on_put(self, req, resp, image_id, key):
        meta = common.body(req, ONE_ITEM)["meta"]
        if key not in meta:
            raise errors.BadRequest("Request body and URI mismatch")
        _proxy(req, self.svc).update_metadata(req.context.auth, image_id, meta)
        resp.media = {"meta": meta}

    def on_delete(self, req, resp, image_id, key):
        _proxy(req, self.svc).delete_metadata_item(req.context.auth, image_id, key)
        resp.status = falcon.HTTP_204
