"""``/v3/credentials``: a user's generic credentials (the rules are in
``controller.identity.credentials``). Admins and system readers see every credential; a
user sees and changes only their own."""
import falcon

from controller import policy
from controller.identity import credentials
from controller.identity.api import common

FIELDS = ("user_id", "project_id", "type", "blob")


def credential_view(req, credential):
    return {"id": credential.id, "user_id": credential.user_id,
            "project_id": credential.project_id, "type": credential.type,
            "blob": credential.blob,
            "links": common.self_link(req, f"credentials/{credential.id}")}


def _fields(data):
    common.check_fields(data, FIELDS, where="credential")
    fields = {}
    for key in ("user_id", "type", "blob"):
        if key in data:
            fields[key] = common.string(data, key, "credential", 65535)
    if "project_id" in data:
        fields["project_id"] = common.text(data, "project_id", "credential", 64)
    return fields


def _owner(req):
    """None when the caller may see every credential, else the caller's user ID."""
    auth = req.context.auth
    return None if policy.allowed(auth, "identity:list_credentials") else auth.user_id


class Credentials:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        rows = credentials.list_credentials(self.db,
                                            common.filters(req, ("user_id", "type")),
                                            _owner(req))
        resp.media = common.collection(req, "credentials",
                                       [credential_view(req, c) for c in rows])

    def on_post(self, req, resp):
        data = common.read_json(req, "credential")
        common.check_fields(data, FIELDS, ("user_id", "type", "blob"), "credential")
        fields = _fields(data)
        policy.authorize(req.context.auth, "identity:create_credential",
                         {"user_id": fields["user_id"]})
        credential = credentials.create_credential(self.db, fields)
        resp.status = falcon.HTTP_201
        resp.media = {"credential": credential_view(req, credential)}


class Credential:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, credential_id):
        credential = credentials.show_credential(self.db, credential_id)
        policy.authorize(req.context.auth, "identity:get_credential",
                         {"user_id": credential.user_id})
        resp.media = {"credential": credential_view(req, credential)}

    def on_patch(self, req, resp, credential_id):
        fields = _fields(common.read_json(req, "credential"))
        credential = credentials.update_credential(self.db, credential_id, fields,
                                                   _owner(req))
        resp.media = {"credential": credential_view(req, credential)}

    def on_delete(self, req, resp, credential_id):
        credentials.delete_credential(self.db, credential_id, _owner(req))
        resp.status = falcon.HTTP_204
