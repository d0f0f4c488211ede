"""``/volumes/{id}/metadata`` and ``/snapshots/{id}/metadata`` (and ``/{key}``): a
volume's or snapshot's metadata (see ``records.MetadataOwner``). The route's id field is
named after what owns the metadata; the resources take it as the only keyword besides
``key``."""
from controller.api import errors
from controller.volume import records
from controller.volume.api import common, schemas


class Metadata:
    """GET the metadata, POST to merge keys in, PUT to replace it."""

    def __init__(self, db, owner):
        self.db = db
        self.owner = owner

    def on_get(self, req, resp, **ids):
        (row_id,) = ids.values()
        resp.media = {"metadata": records.metadata(self.db, self.owner, req.context.auth,
                                                   row_id)}

    def on_post(self, req, resp, **ids):
        self._write(req, resp, *ids.values(), merge=True)

    def on_put(self, req, resp, **ids):
        self._write(req, resp, *ids.values(), merge=False)

    def _write(self, req, resp, row_id, merge):
        new = common.body(req, schemas.METADATA)["metadata"] or {}
        resp.media = {"metadata": records.write_metadata(
            self.db, self.owner, req.context.auth, row_id, new, merge)}


class MetadataItem:
    def __init__(self, db, owner):
        self.db = db
        self.owner = owner

    def on_get(self, req, resp, key, **ids):
        (row_id,) = ids.values()
        resp.media = {"meta": {key: records.metadata_item(self.db, self.owner,
                                                          req.context.auth, row_id, key)}}

    def on_put(self, req, resp, key, **ids):
        (row_id,) = ids.values()
        meta = common.body(req, schemas.METADATA_ITEM)["meta"]
        if len(meta) > 1:
            raise errors.BadRequest("Request body contains too many items.")
        if key not in meta:
            raise errors.BadRequest("Request body and URI mismatch.")
        resp.media = {"meta": {key: records.set_metadata_item(
            self.db, self.owner, req.context.auth, row_id, key, meta[key])}}

    def on_delete(self, req, resp, key, **ids):
        (row_id,) = ids.values()
        records.delete_metadata_item(self.db, self.owner, req.context.auth, row_id, key)
