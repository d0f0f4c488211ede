"""Domains: created, changed and deleted each in one transaction. A domain must be
disabled before it is deleted, and then takes its projects, users, groups, domain roles
and every assignment on them along (as Keystone does). Tokens of a disabled domain stop
validating at once: validation checks the domain."""
from sqlalchemy import select, update

from controller.api import errors
from controller.identity import models, records


def _duplicate_check(session, name, exclude_id=None):
    statement = select(models.Domain.id).where(models.Domain.name == name)
    if exclude_id is not None:
        statement = statement.where(models.Domain.id != exclude_id)
    records.conflict_on_duplicate(session, "domain", name, statement)


def find_domain(db, domain_id):
    """The domain ``domain_id``, or None (the projects API shows domains too)."""
    with db.session() as session:
        return session.get(models.Domain, domain_id)


def create_domain(db, name, description, enabled, domain_id=None):
    domain = models.Domain(name=name, description=description, enabled=enabled)
    if domain_id is not None:
        domain.id = domain_id
    with db.session() as session:
        _duplicate_check(session, name)
        if domain_id is not None and session.get(models.Domain, domain_id) is not None:
            raise errors.Conflict(f"Conflict occurred attempting to store domain - "
                                  f"Duplicate ID, {domain_id}.")
        session.add(domain)
        records.flush(session, "domain")
    return domain


def update_domain(db, domain_id, changes):
    with db.session() as session:
        domain = records.get_or_404(session, models.Domain, domain_id, "domain")
        if "name" in changes:
            domain.name = changes["name"]
            _duplicate_check(session, domain.name, domain.id)
        for key in ("description", "enabled"):
            if key in changes:
                setattr(domain, key, changes[key])
        records.flush(session, "domain")
    return domain


def delete_domain(db, tokens, domain_id):
    """Delete a disabled domain and everything in it; revoke its users' tokens."""
    with db.session() as session:
        domain = records.get_or_404(session, models.Domain, domain_id, "domain")
        if domain.enabled:
            raise errors.Forbidden("Cannot delete a domain that is enabled, please disable "
                                   "it first.")
        owned = {}
        # Projects nest: unhook them from each other before they go.
        session.execute(update(models.Project).where(models.Project.domain_id == domain_id)
                        .values(parent_id=None))
        for kind, model in (("project", models.Project), ("user", models.User),
                            ("group", models.Group)):
            owned[kind] = session.scalars(select(model).where(model.domain_id == domain_id)
                                          ).all()
            for row in owned[kind]:
                side = "target" if kind == "project" else "actor"
                records.delete_assignments(session, **{side: (kind, row.id)})
                session.delete(row)
        records.delete_assignments(session, target=("domain", domain_id))
        for role in session.scalars(select(models.Role)
                                    .where(models.Role.domain_id == domain_id)):
            session.delete(role)
        session.flush()
        session.delete(domain)
    for user in owned["user"]:
        tokens.revoke_user(user.id)
    for project in owned["project"]:
        tokens.revoke_project(project.id)
