"""``/os-keypairs``: a user's SSH keys, imported or generated, for their servers."""
import falcon

from controller import policy
from controller.api import errors
from controller.compute.api import common
from controller.compute.operations import keypairs
from controller.db.base import isotime

CREATE = {
    "type": "object",
    "properties": {"keypair": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 255,
                     "pattern": r"^[a-zA-Z0-9 _.@-]+$"},
            "public_key": {"type": "string"},
            "type": {"type": "string", "enum": ["ssh", "x509"]},
            "user_id": {"type": "string"},
        },
        "required": ["name"],
        "additionalProperties": False}},
    "required": ["keypair"],
    "additionalProperties": False,
}


def view(req, keypair, full=False):
    body = {"name": keypair.name, "public_key": keypair.public_key,
            "fingerprint": keypair.fingerprint}
    if req.context.microversion >= (2, 2):
        body["type"] = keypair.type
    if full:
        body.update({"user_id": keypair.user_id, "id": keypair.id,
                     "created_at": isotime(keypair.created_at), "updated_at": None,
                     "deleted": False, "deleted_at": None})
    return body


def _owner(req):
    """Whose keys: the caller's, or (2.10+, admins) the ``user_id`` asked for."""
    auth = req.context.auth
    user_id = req.get_param("user_id") or auth.user_id
    if user_id != auth.user_id and req.context.microversion < (2, 10):
        user_id = auth.user_id
    policy.authorize(auth, "os_compute_api:os-keypairs", {"user_id": user_id})
    return user_id


class KeyPairs:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp):
        found = keypairs.list_keypairs(self.svc.db, _owner(req))
        limit, marker = common.page_params(req, self.svc.conf.compute.max_limit)
        page = common.paginate(found, limit, marker, lambda k: k.name)
        resp.media = {"keypairs": [{"keypair": view(req, k)} for k in page]}

    def on_post(self, req, resp):
        auth = req.context.auth
        spec = common.body(req, CREATE)["keypair"]
        if "type" in spec and req.context.microversion < (2, 2):
            raise errors.BadRequest("Invalid input for field/attribute keypair. Additional "
                                    "properties are not allowed ('type' was unexpected)")
        user_id = auth.user_id
        if spec.get("user_id") and req.context.microversion >= (2, 10):
            user_id = spec["user_id"]
        policy.authorize(auth, "os_compute_api:os-keypairs", {"user_id": user_id})
        keypair, private_key = keypairs.create(self.svc.db, self.svc.conf, auth.project_id,
                                               user_id, spec["name"],
                                               spec.get("public_key"),
                                               spec.get("type", "ssh"))
        body = view(req, keypair)
        body["user_id"] = user_id
        if private_key:
            body["private_key"] = private_key
        resp.status = falcon.HTTP_201 if req.context.microversion >= (2, 2) else falcon.HTTP_200
        resp.media = {"keypair": body}


class KeyPair:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, name):
        resp.media = {"keypair": view(req, keypairs.get(self.svc.db, _owner(req), name),
                                      full=True)}

    def on_delete(self, req, resp, name):
        keypairs.delete(self.svc.db, _owner(req), name)
        resp.status = falcon.HTTP_204 if req.context.microversion >= (2, 2) else falcon.HTTP_202
