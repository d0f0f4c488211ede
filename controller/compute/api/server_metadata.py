"""``/servers/{id}/metadata``: a server's key/value metadata, within the project's
``metadata_items`` quota."""
import falcon

from controller.api import errors
from controller.compute.api import common
from controller.compute.operations import server_metadata as metadata

METADATA = {"type": "object", "properties": {"metadata": common.METADATA},
            "required": ["metadata"], "additionalProperties": False}
META_ITEM = {"type": "object",
             "properties": {"meta": dict(common.METADATA, minProperties=1,
                                         maxProperties=1)},
             "required": ["meta"], "additionalProperties": False}


class _Base:
    def __init__(self, svc):
        self.svc = svc


class Metadata(_Base):
    def on_get(self, req, resp, server_id):
        auth = req.context.auth
        resp.media = {"metadata": metadata.get_all(
            self.svc.db, auth, server_id,
            common.authorizer(auth, "os_compute_api:server-metadata:index"))}

    def _set(self, req, resp, server_id, merge):
        auth = req.context.auth
        values = common.body(req, METADATA)["metadata"]
        resp.media = {"metadata": metadata.update(
            self.svc.db, self.svc.conf, auth, server_id, values, merge,
            common.authorizer(auth, "os_compute_api:server-metadata:update"))}

    def on_post(self, req, resp, server_id):
        self._set(req, resp, server_id, merge=True)

    def on_put(self, req, resp, server_id):
        self._set(req, resp, server_id, merge=False)


class MetadataItem(_Base):
    def on_get(self, req, resp, server_id, key):
        auth = req.context.auth
        resp.media = {"meta": metadata.get_item(
            self.svc.db, auth, server_id, key,
            common.authorizer(auth, "os_compute_api:server-metadata:index"))}

    def on_put(self, req, resp, server_id, key):
        auth = req.context.auth
        meta = common.body(req, META_ITEM)["meta"]
        if key not in meta:
            raise errors.BadRequest("Request body and URI mismatch")
        metadata.update(self.svc.db, self.svc.conf, auth, server_id, meta, True,
                        common.authorizer(auth, "os_compute_api:server-metadata:update"))
        resp.media = {"meta": meta}

    def on_delete(self, req, resp, server_id, key):
        auth = req.context.auth
        metadata.delete_item(self.svc.db, self.svc.conf, auth, server_id, key,
                             common.authorizer(auth, "os_compute_api:server-metadata:update"))
        resp.status = falcon.HTTP_204
