"""``/v3/{project_id}/attachments`` (microversion 3.27+): how compute attaches volumes.
See ``controller.volume.attachments`` for the sequence of calls."""
import falcon

from controller import policy
from controller.api import errors
from controller.volume import records
from controller.volume.api import common, microversions, schemas, views


class _AttachmentResource:
    def __init__(self, manager, base_url):
        self.manager = manager
        self.db = manager.db
        self.base_url = base_url

    def list_rows(self, req, auth):
        microversions.require(req, microversions.ATTACHMENTS, "The attachments API")
        policy.authorize(auth, "volume:attachment_get")
        return records.list_attachments(
            self.db, common.listed_project(req, auth),
            common.filters(req, "volume_id", "status", instance_id="instance_uuid"),
            common.Page(req, self.base_url))

    def render(self, attachment, connection_info=None):
        if connection_info is None:
            connection_info = self.manager.connection_info(attachment)
        return {"attachment": views.attachment(attachment, connection_info)}


class Attachments(_AttachmentResource):
    def on_get(self, req, resp):
        rows, links = self.list_rows(req, req.context.auth)
        resp.media = {"attachments": [views.attachment_summary(row) for row in rows]}
        if links:
            resp.media["attachments_links"] = links

    def on_post(self, req, resp):
        microversions.require(req, microversions.ATTACHMENTS, "The attachments API")
        spec = common.body(req, schemas.CREATE_ATTACHMENT)["attachment"]
        attachment, connection_info = self.manager.create(
            req.context.auth, spec["volume_uuid"], instance_uuid=spec.get("instance_uuid"),
            connector=spec.get("connector"), mode=spec.get("mode", "rw"))
        resp.media = self.render(attachment, connection_info)


class AttachmentsDetail(_AttachmentResource):
    def on_get(self, req, resp):
        rows, links = self.list_rows(req, req.context.auth)
        resp.media = {"attachments": [self.render(row)["attachment"] for row in rows]}
        if links:
            resp.media["attachments_links"] = links


class Attachment(_AttachmentResource):
    def on_get(self, req, resp, attachment_id):
        microversions.require(req, microversions.ATTACHMENTS, "The attachments API")
        attachment = records.show_attachment(self.db, req.context.auth, attachment_id)
        resp.media = self.render(attachment)

    def on_put(self, req, resp, attachment_id):
        microversions.require(req, microversions.ATTACHMENTS, "The attachments API")
        spec = common.body(req, schemas.UPDATE_ATTACHMENT)["attachment"]
        attachment, connection_info = self.manager.update(req.context.auth, attachment_id,
                                                          spec["connector"])
        resp.media = self.render(attachment, connection_info)

    def on_delete(self, req, resp, attachment_id):
        microversions.require(req, microversions.ATTACHMENTS, "The attachments API")
        self.manager.delete(req.context.auth, attachment_id)
        resp.media = {"attachments": []}


class AttachmentAction(_AttachmentResource):
    def on_post(self, req, resp, attachment_id):
        microversions.require(req, microversions.ATTACHMENTS, "The attachments API")
        body = common.media(req)
        if not isinstance(body, dict) or list(body) != ["os-complete"]:
            raise errors.BadRequest("The only attachment action is os-complete.")
        self.manager.complete(req.context.auth, attachment_id)
        resp.status = falcon.HTTP_204
