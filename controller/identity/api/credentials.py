"""``/v3/credentials``: a user's generic credentials (the rules are in
``controller.identity.credentials``). Admins and system readers see every credential; a
user sees and changes only their own. Also ``/v3/users/{id}/credentials/OS-EC2``: EC2 key
pairs."""
import json

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


def ec2_view(req, credential):
    blob = json.loads(credential.blob)
    return {"user_id": credential.user_id, "tenant_id": credential.project_id,
            "access": blob.get("access"), "secret": blob.get("secret"),
            "trust_id": blob.get("trust_id"),
            "links": common.self_link(req, f"users/{credential.user_id}/credentials/OS-EC2/"
                                           f"{blob.get('access')}")}


class Ec2Credentials:
    """``/v3/users/{user_id}/credentials/OS-EC2``: a user's EC2 key pairs."""

    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, user_id):
        policy.authorize(req.context.auth, "identity:ec2_list_credentials",
                         {"user_id": user_id})
        rows = credentials.list_ec2(self.db, user_id)
        resp.media = common.collection(req, "credentials", [ec2_view(req, c) for c in rows])

    def on_post(self, req, resp, user_id):
        policy.authorize(req.context.auth, "identity:ec2_create_credential",
                         {"user_id": user_id})
        data = common.read_json(req)
        common.check_fields(data, ("tenant_id",), ("tenant_id",), "request")
        credential = credentials.create_ec2(self.db, user_id,
                                            common.string(data, "tenant_id", "request", 64))
        resp.status = falcon.HTTP_201
        resp.media = {"credential": ec2_view(req, credential)}


class Ec2Credential:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, user_id, access):
        policy.authorize(req.context.auth, "identity:ec2_get_credential", {"user_id": user_id})
        resp.media = {"credential": ec2_view(req, credentials.show_ec2(self.db, user_id,
                                                                       access))}

    def on_delete(self, req, resp, user_id, access):
        policy.authorize(req.context.auth, "identity:ec2_delete_credential",
                         {"user_id": user_id})
        credentials.delete_ec2(self.db, user_id, access)
        resp.status = falcon.HTTP_204
