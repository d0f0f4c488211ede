"""Users and their passwords, each change in one transaction.

Passwords are hashed before the transaction opens (hashing is deliberately slow).
Changing a password, disabling or deleting a user revokes every token the user holds.
"""
from sqlalchemy import select

from controller.api import errors
from controller.identity import models, records


def _duplicate_check(session, name, domain_id, exclude_id=None):
    statement = select(models.User.id).where(models.User.name == name,
                                             models.User.domain_id == domain_id)
    if exclude_id is not None:
        statement = statement.where(models.User.id != exclude_id)
    records.conflict_on_duplicate(session, "user", f"{name} in domain {domain_id}", statement)


def _default_project(session, project_id):
    if project_id is not None and session.get(models.Project, project_id) is None:
        raise errors.BadRequest(f"Could not find default project: {project_id}.")
    return project_id


def _hash(tokens, password):
    return tokens.hasher.hash(password) if password is not None else None


def create_user(db, tokens, name, domain_id, password, default_project_id=None, **fields):
    """A new user; ``fields``: enabled, email, description, extra."""
    user = models.User(name=name, domain_id=domain_id,
                       password_hash=_hash(tokens, password), **fields)
    with db.session() as session:
        records.domain_or_404(session, domain_id)
        user.default_project_id = _default_project(session, default_project_id)
        _duplicate_check(session, name, domain_id)
        session.add(user)
        records.flush(session, "user")
    return user


def update_user(db, tokens, user_id, changes):
    """Apply ``changes`` (attributes of the request body, parsed; ``password`` in clear);
    revoke the user's tokens on a new password or when the user is disabled."""
    password_hash = _hash(tokens, changes.get("password"))
    revoke = False
    with db.session() as session:
        user = records.get_or_404(session, models.User, user_id, "user")
        if changes.get("domain_id", user.domain_id) != user.domain_id:
            raise errors.BadRequest("A user cannot move to another domain.")
        if "name" in changes:
            user.name = changes["name"]
            _duplicate_check(session, user.name, user.domain_id, user.id)
        if "password" in changes:
            user.password_hash = password_hash
            revoke = True
        if "enabled" in changes:
            revoke = revoke or (user.enabled and not changes["enabled"])
            user.enabled = changes["enabled"]
        if "default_project_id" in changes:
            user.default_project_id = _default_project(session,
                                                       changes["default_project_id"])
        for optional in ("email", "description"):
            if optional in changes:
                setattr(user, optional, changes[optional])
        if "extra" in changes:
            user.extra = {**(user.extra or {}), **changes["extra"]}
        records.flush(session, "user")
    if revoke:
        tokens.revoke_user(user_id)
    return user


def delete_user(db, tokens, user_id):
    with db.session() as session:
        session.delete(records.get_or_404(session, models.User, user_id, "user"))
        records.delete_assignments(session, actor=("user", user_id))
    tokens.revoke_user(user_id)


def change_password(db, tokens, user_id, original, new):
    """A user changes their own password by giving the current one."""
    with db.session() as session:
        current_hash = records.get_or_404(session, models.User, user_id,
                                          "user").password_hash
    if not tokens.hasher.verify(current_hash, original):
        raise errors.Unauthorized("The original password is wrong.")
    new_hash = tokens.hasher.hash(new)
    with db.session() as session:
        user = records.get_or_404(session, models.User, user_id, "user")
        # Hashing ran outside the transaction: refuse if another change won meanwhile.
        if user.password_hash != current_hash:
            raise errors.Unauthorized("The original password is wrong.")
        user.password_hash = new_hash
    tokens.revoke_user(user_id)
