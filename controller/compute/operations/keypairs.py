"""A user's SSH key pairs, imported or generated, within the ``key_pairs`` quota."""
from sqlalchemy import func, select

from contract import exception
from controller.compute import keypairs, models, quota


class KeyPairNotFound(exception.ComputeError):
    code = 404


class KeyPairExists(exception.ComputeError):
    code = 409


def _find(session, user_id, name):
    return session.scalars(select(models.KeyPair).where(
        models.KeyPair.user_id == user_id, models.KeyPair.name == name)).first()


def _get(session, user_id, name):
    keypair = _find(session, user_id, name)
    if keypair is None:
        raise KeyPairNotFound(f"Keypair {name} not found for user {user_id}")
    return keypair


def list_keypairs(db, user_id):
    """The user's key pairs by name."""
    with db.session() as session:
        return list(session.scalars(select(models.KeyPair).where(
            models.KeyPair.user_id == user_id).order_by(models.KeyPair.name)))


def create(db, conf, project_id, user_id, name, public_key=None, key_type="ssh"):
    """Import ``public_key`` (checked), or generate a pair when there is none; an
    ``x509`` one is a certificate. Returns (key pair, private key or None); the caller's
    project quota counts the user's keys."""
    private_key = None
    if key_type == "x509":
        if not public_key:
            private_key, public_key = keypairs.generate_x509(user_id)
        fingerprint = keypairs.x509_fingerprint(public_key)
    else:
        if public_key:
            public_key = keypairs.check_public_key(public_key)
        else:
            private_key, public_key = keypairs.generate("Generated-by-pocketstack")
        fingerprint = keypairs.fingerprint(public_key)
    with db.session() as session:
        limit = quota.limits(session, conf, project_id)["key_pairs"]
        used = session.scalar(select(func.count(models.KeyPair.id)).where(
            models.KeyPair.user_id == user_id))
        quota.check({"key_pairs": limit}, {"key_pairs": used}, {"key_pairs": 1})
        if _find(session, user_id, name) is not None:
            raise KeyPairExists(f"Key pair '{name}' already exists.")
        keypair = models.KeyPair(name=name, user_id=user_id, public_key=public_key,
                                 type=key_type, fingerprint=fingerprint)
        session.add(keypair)
    return keypair, private_key


def get(db, user_id, name):
    with db.session() as session:
        return _get(session, user_id, name)


def delete(db, user_id, name):
    with db.session() as session:
        session.delete(_get(session, user_id, name))
