"""Volume transfers: ``/v3/{project_id}/os-volume-transfer`` (every microversion) and
``/v3/{project_id}/volume-transfers`` (3.55+, which adds ``no_snapshots``); see
``controller.volume.transfers``."""
import falcon

from controller import policy
from controller.db.base import isotime
from controller.volume import transfers
from controller.volume.api import common, microversions, schemas, views

SORT_KEYS = ("id", "name", "created_at", "volume_id")


def transfer_view(row, base_url, version, detail):
    """A transfer as Cinder shows it at ``version``; ``detail``: a show or detailed list."""
    body = {"id": row.id, "name": row.name, "volume_id": row.volume_id,
            "links": views.links(base_url, row.project_id, "os-volume-transfer", row.id)}
    if detail:
        body["created_at"] = isotime(row.created_at)
        if version >= microversions.TRANSFER_NO_SNAPSHOTS:
            body["no_snapshots"] = row.no_snapshots
        if version >= microversions.TRANSFER_PROJECTS:
            # A transfer still shown is one not accepted yet.
            body.update(source_project_id=row.project_id, destination_project_id=None,
                        accepted=False)
    return body


class _TransferResource:
    def __init__(self, db, conf, base_url, new_api=False):
        self.db = db
        self.conf = conf
        self.base_url = base_url
        self.new_api = new_api

    def version(self, req):
        if self.new_api:
            microversions.require(req, microversions.TRANSFER_NO_SNAPSHOTS,
                                  "The volume-transfers API")
        return req.context.microversion

    def list(self, req, resp, detail):
        version = self.version(req)
        auth = req.context.auth
        policy.authorize(auth, "volume:get_all_transfers")
        rows, links = transfers.list_transfers(
            self.db, common.listed_project(req, auth), common.filters(req, "name", "volume_id"),
            common.Page(req, self.base_url, SORT_KEYS))
        resp.media = {"transfers": [transfer_view(row, self.base_url, version, detail)
                                    for row in rows]}
        if links:
            resp.media["transfers_links"] = links


class Transfers(_TransferResource):
    def on_get(self, req, resp):
        self.list(req, resp, detail=False)

    def on_post(self, req, resp):
        version = self.version(req)
        spec = common.body(req, schemas.CREATE_TRANSFER)["transfer"]
        no_snapshots = (version >= microversions.TRANSFER_NO_SNAPSHOTS
                        and schemas.to_bool(spec.get("no_snapshots", False)))
        row, key = transfers.create(self.db, req.context.auth, spec["volume_id"],
                                    name=spec.get("name"), no_snapshots=no_snapshots)
        resp.status = falcon.HTTP_202
        resp.media = {"transfer": {**transfer_view(row, self.base_url, version, True),
                                   "auth_key": key}}


class TransfersDetail(_TransferResource):
    def on_get(self, req, resp):
        self.list(req, resp, detail=True)


class Transfer(_TransferResource):
    def on_get(self, req, resp, transfer_id):
        version = self.version(req)
        row = transfers.show(self.db, req.context.auth, transfer_id)
        resp.media = {"transfer": transfer_view(row, self.base_url, version, True)}

    def on_delete(self, req, resp, transfer_id):
        self.version(req)
        transfers.delete(self.db, req.context.auth, transfer_id)
        resp.status = falcon.HTTP_202


class TransferAccept(_TransferResource):
    def on_post(self, req, resp, transfer_id):
        version = self.version(req)
        key = common.body(req, schemas.ACCEPT_TRANSFER)["accept"]["auth_key"]
        row = transfers.accept(self.db, self.conf, req.context.auth, transfer_id, key)
        resp.status = falcon.HTTP_202
        resp.media = {"transfer": transfer_view(row, self.base_url, version, False)}
