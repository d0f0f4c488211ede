"""``/v2/images/{id}/members``: sharing an image with other projects (the rules are in
``controller.image.members``)."""
import falcon

from controller.api import errors
from controller.image import schemas, views
from controller.image.api import common


class Members:
    def __init__(self, services):
        self.members = services.members

    def on_get(self, req, resp, image_id):
        members = self.members.list(req.context.auth, image_id)
        resp.media = {"members": [views.member(m) for m in members],
                      "schema": "/v2/schemas/members"}

    def on_post(self, req, resp, image_id):
        body = common.read_object(req)
        member_id = body.get("member")
        if not isinstance(member_id, str) or not member_id or len(member_id) > 255:
            raise errors.BadRequest("Expecting 'member': the id of a project.")
        resp.media = views.member(self.members.add(req.context.auth, image_id, member_id))


class Member:
    def __init__(self, services):
        self.members = services.members

    def on_get(self, req, resp, image_id, member_id):
        resp.media = views.member(self.members.show(req.context.auth, image_id, member_id))

    def on_put(self, req, resp, image_id, member_id):
        body = common.read_object(req)
        new_status = body.get("status")
        if new_status not in schemas.MEMBER_STATUSES:
            raise errors.BadRequest(f"Expecting 'status': one of "
                                    f"{', '.join(schemas.MEMBER_STATUSES)}.")
        resp.media = views.member(self.members.set_status(req.context.auth, image_id,
                                                          member_id, new_status))

    def on_delete(self, req, resp, image_id, member_id):
        self.members.remove(req.context.auth, image_id, member_id)
        resp.status = falcon.HTTP_204
