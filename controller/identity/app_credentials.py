"""Application credentials: a user delegates some of its roles on one project to an
application, which then authenticates with the credential's ID (or name and user) and a
secret shown once. Tokens made from one carry only those roles, and only while the user
still holds them; deleting or expiring the credential ends its tokens."""
import secrets

from sqlalchemy import select

from controller.api import errors
from controller.db.base import utcnow
from controller.identity import assignments, models, records

AUTH_FAILED = "The request you have made requires authentication."


def _role_id(session, ref):
    if "id" in ref:
        return ref["id"]
    role_id = session.scalar(select(models.Role.id).where(
        models.Role.name == ref["name"], models.Role.domain_id == ref.get("domain_id")))
    if role_id is None:
        raise errors.NotFound(f"Could not find role: {ref['name']}.")
    return role_id


def create(db, hasher, user_id, project_id, name, fields, role_refs=None, secret=None):
    """A new credential and its secret (generated unless given). ``role_refs`` ({"id"} or
    {"name"}) default to the user's roles on the project; each must be one the user holds
    there."""
    secret = secret or secrets.token_urlsafe(64)
    secret_hash = hasher.hash(secret)
    with db.session() as session:
        records.get_or_404(session, models.User, user_id, "user")
        held = assignments.direct_role_ids(session, user_id, "project", project_id)
        effective = assignments.expand_implied(held, assignments.implications(session))
        if role_refs is None:
            role_ids = sorted(held)
        else:
            role_ids = [_role_id(session, ref) for ref in role_refs]
        for role_id in role_ids:
            if role_id not in effective:
                raise errors.NotFound(f"Could not find role assignment with role: "
                                      f"{role_id}, user or group: {user_id}, project, "
                                      f"domain, or system: {project_id}.")
        records.conflict_on_duplicate(
            session, "application credential", name,
            select(models.ApplicationCredential.id).where(
                models.ApplicationCredential.user_id == user_id,
                models.ApplicationCredential.name == name))
        credential = models.ApplicationCredential(
            user_id=user_id, project_id=project_id, name=name, secret_hash=secret_hash,
            role_ids=list(role_ids), **fields)
        session.add(credential)
        records.flush(session, "application credential")
    return credential, secret


def list_credentials(db, user_id, name=None):
    statement = select(models.ApplicationCredential).where(
        models.ApplicationCredential.user_id == user_id)
    if name is not None:
        statement = statement.where(models.ApplicationCredential.name == name)
    with db.session() as session:
        records.get_or_404(session, models.User, user_id, "user")
        return session.scalars(statement.order_by(models.ApplicationCredential.name)).all()


def _of_user(session, user_id, credential_id):
    credential = session.get(models.ApplicationCredential, credential_id)
    if credential is None or credential.user_id != user_id:
        raise errors.NotFound(f"Could not find Application Credential: {credential_id}.")
    return credential


def show(db, user_id, credential_id):
    with db.session() as session:
        return _of_user(session, user_id, credential_id)


def delete(db, user_id, credential_id):
    with db.session() as session:
        session.delete(_of_user(session, user_id, credential_id))


def role_names(db):
    """{role ID: name}, to show a credential's roles."""
    with db.session() as session:
        return dict(session.execute(select(models.Role.id, models.Role.name)).all())


def find(session, ref, find_user):
    """The credential a token request names ({"id"} or {"name", "user"}), or None."""
    if "id" in ref:
        return session.get(models.ApplicationCredential, ref["id"])
    user = find_user(session, ref.get("user") or {})
    if user is None or not isinstance(ref.get("name"), str):
        return None
    return session.scalar(select(models.ApplicationCredential).where(
        models.ApplicationCredential.user_id == user.id,
        models.ApplicationCredential.name == ref["name"]))


def usable(credential):
    return credential is not None and (credential.expires_at is None
                                       or credential.expires_at > utcnow())
