"""``/v3/{project_id}/messages`` (3.3+): user messages (see ``controller.volume.messages``)."""
import falcon

from controller import policy
from controller.db.base import isotime
from controller.volume import messages
from controller.volume.api import common, microversions

SORT_KEYS = ("id", "created_at", "event_id", "resource_type", "resource_uuid",
             "message_level", "request_id")


def message_view(row, base_url, project_id):
    body = {"id": row.id, "event_id": row.event_id, "user_message": messages.user_message(row),
            "message_level": row.message_level, "created_at": isotime(row.created_at),
            "guaranteed_until": isotime(row.expires_at), "request_id": row.request_id or "",
            "links": [{"rel": "self",
                       "href": f"{base_url}/v3/{project_id}/messages/{row.id}"},
                      {"rel": "bookmark",
                       "href": f"{base_url}/{project_id}/messages/{row.id}"}]}
    if row.resource_type:
        body["resource_type"] = row.resource_type
    if row.resource_uuid:
        body["resource_uuid"] = row.resource_uuid
    return body


class _MessageResource:
    def __init__(self, db, base_url):
        self.db = db
        self.base_url = base_url

    def view(self, row):
        return message_view(row, self.base_url, row.project_id)


class Messages(_MessageResource):
    def on_get(self, req, resp):
        microversions.require(req, microversions.MESSAGES, "The messages API")
        auth = req.context.auth
        policy.authorize(auth, "message:get_all")
        rows, links = messages.list_messages(
            self.db, auth,
            common.filters(req, "event_id", "resource_type", "resource_uuid",
                           "message_level", "request_id"),
            common.Page(req, self.base_url, SORT_KEYS))
        resp.media = {"messages": [self.view(row) for row in rows]}
        if links:
            resp.media["messages_links"] = links


class Message(_MessageResource):
    def on_get(self, req, resp, message_id):
        microversions.require(req, microversions.MESSAGES, "The messages API")
        resp.media = {"message": self.view(messages.show(self.db, req.context.auth,
                                                         message_id))}

    def on_delete(self, req, resp, message_id):
        microversions.require(req, microversions.MESSAGES, "The messages API")
        messages.delete_message(self.db, req.context.auth, message_id)
        resp.status = falcon.HTTP_204
