"""``/os-keypairs``: a user's SSH keys, imported or generated, for their servers."""
import falcon
from sqlalchemy import func, select

from controller import policy
from controller.api import errors
from controller.compute import keypairs, models, quota
from controller.compute.api import common
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
        user_id = _owner(req)
        with self.svc.db.session() as session:
            found = list(session.scalars(select(models.KeyPair).where(
                models.KeyPair.user_id == user_id).order_by(models.KeyPair.name)))
        limit, marker = common.page_params(req, self.svc.conf.compute.max_limit)
        page = common.paginate(found, limit, marker, lambda k: k.name)
        resp.media = {"keypairs": [{"keypair": view(req, k)} for k in page]}

    def on_post(self, req, resp):
        auth = req.context.auth
        spec = common.body(req, CREATE)["keypair"]
        user_id = auth.user_id
        if spec.get("user_id") and req.context.microversion >= (2, 10):
            user_id = spec["user_id"]
        policy.authorize(auth, "os_compute_api:os-keypairs", {"user_id": user_id})
        if spec.get("type") == "x509":
            raise errors.BadRequest("x509 key pairs are not supported.")
        private_key = None
        if spec.get("public_key"):
            public_key = keypairs.check_public_key(spec["public_key"])
        else:
            private_key, public_key = keypairs.generate("Generated-by-pocketstack")
        with self.svc.db.session() as session:
            limit = quota.limits(session, self.svc.conf, auth.project_id)["key_pairs"]
            used = session.scalar(select(func.count(models.KeyPair.id)).where(
                models.KeyPair.user_id == user_id))
            quota.check({"key_pairs": limit}, {"key_pairs": used}, {"key_pairs": 1})
            if session.scalars(select(models.KeyPair).where(
                    models.KeyPair.user_id == user_id,
                    models.KeyPair.name == spec["name"])).first() is not None:
                raise errors.Conflict(f"Key pair '{spec['name']}' already exists.")
            keypair = models.KeyPair(name=spec["name"], user_id=user_id,
                                     public_key=public_key, type="ssh",
                                     fingerprint=keypairs.fingerprint(public_key))
            session.add(keypair)
        body = view(req, keypair)
        body["user_id"] = user_id
        if private_key:
            body["private_key"] = private_key
        resp.status = falcon.HTTP_201 if req.context.microversion >= (2, 2) else falcon.HTTP_200
        resp.media = {"keypair": body}


class KeyPair:
    def __init__(self, svc):
        self.svc = svc

    def _find(self, session, req, name):
        user_id = _owner(req)
        keypair = session.scalars(select(models.KeyPair).where(
            models.KeyPair.user_id == user_id, models.KeyPair.name == name)).first()
        if keypair is None:
            raise errors.NotFound(f"Keypair {name} not found for user {user_id}")
        return keypair

    def on_get(self, req, resp, name):
        with self.svc.db.session() as session:
            resp.media = {"keypair": view(req, self._find(session, req, name), full=True)}

    def on_delete(self, req, resp, name):
        with self.svc.db.session() as session:
            session.delete(self._find(session, req, name))
        resp.status = falcon.HTTP_204 if req.context.microversion >= (2, 2) else falcon.HTTP_202
