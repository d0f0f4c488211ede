"""``/servers/{id}/tags`` and ``/servers/{id}/tags/{tag}`` (from microversion 2.26; 404
before): list, replace and clear a server's tags, check, add and remove one."""
import falcon

from controller.api import errors
from controller.compute.api import common
from controller.compute.operations import server_tags

FIRST_VERSION = (2, 26)
TAG = {"type": "string", "pattern": "^[^,/]*$", "minLength": 1, "maxLength": 60}
UPDATE_ALL = {"type": "object",
              "properties": {"tags": {"type": "array", "items": TAG,
                                      "maxItems": server_tags.MAX_TAGS}},
              "required": ["tags"], "additionalProperties": False}


def _rule(req, name):
    if req.context.microversion < FIRST_VERSION:
        raise errors.NotFound("The resource could not be found.")
    return common.authorizer(req.context.auth, f"os_compute_api:os-server-tags:{name}")


class Tags:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, server_id):
        authorize = _rule(req, "index")
        resp.media = {"tags": server_tags.tags_of(self.svc.db, req.context.auth, server_id,
                                                  authorize)}

    def on_put(self, req, resp, server_id):
        authorize = _rule(req, "update_all")
        tags = common.body(req, UPDATE_ALL)["tags"]
        resp.media = {"tags": server_tags.replace(self.svc.db, req.context.auth, server_id,
                                                  tags, authorize)}

    def on_delete(self, req, resp, server_id):
        authorize = _rule(req, "delete_all")
        server_tags.remove_all(self.svc.db, req.context.auth, server_id, authorize)
        resp.status = falcon.HTTP_204


class Tag:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, server_id, tag):
        authorize = _rule(req, "show")
        server_tags.check(self.svc.db, req.context.auth, server_id, tag, authorize)
        resp.status = falcon.HTTP_204

    def on_put(self, req, resp, server_id, tag):
        authorize = _rule(req, "update")
        try:
            common.check(tag, TAG)
        except errors.BadRequest as exc:
            raise errors.BadRequest(f"Tag '{tag}' is invalid. It must be a non empty string "
                                    f"without characters '/' and ','. Validation error "
                                    f"message: {exc}") from None
        if server_tags.add(self.svc.db, req.context.auth, server_id, tag, authorize):
            resp.status = falcon.HTTP_201
            resp.set_header("Location", common.url(req, f"/servers/{server_id}/tags/{tag}"))
        else:
            resp.status = falcon.HTTP_204

    def on_delete(self, req, resp, server_id, tag):
        authorize = _rule(req, "delete")
        server_tags.remove(self.svc.db, req.context.auth, server_id, tag, authorize)
        resp.status = falcon.HTTP_204
