"""Who holds which roles where: direct assignments plus the roles they imply.

A token lists the user's effective roles on its project, so ``admin`` (which implies
``member``, which implies ``reader``) passes any rule that asks for ``reader``.
"""
from sqlalchemy import select

from controller.identity import models, records


def expand_implied(role_ids, implications):
    """Every role reachable from ``role_ids`` through ``implications``
    ({prior role id: {implied role ids}}); cycles are harmless."""
    effective = set()
    pending = list(role_ids)
    while pending:
        role_id = pending.pop()
        if role_id in effective:
            continue
        effective.add(role_id)
        pending.extend(implications.get(role_id, ()))
    return effective


def implications(session):
    rules = {}
    for prior, implied in session.execute(select(models.ImpliedRole.prior_role_id,
                                                 models.ImpliedRole.implied_role_id)):
        rules.setdefault(prior, set()).add(implied)
    return rules


def direct_role_ids(session, user_id, project_id):
    return set(session.scalars(
        select(models.RoleAssignment.role_id)
        .where(models.RoleAssignment.user_id == user_id,
               models.RoleAssignment.project_id == project_id)))


def effective_roles(session, user_id, project_id):
    """The user's roles on the project, implied ones included, as Role rows by name."""
    direct = direct_role_ids(session, user_id, project_id)
    if not direct:
        return []
    role_ids = expand_implied(direct, implications(session))
    roles = session.scalars(select(models.Role).where(models.Role.id.in_(role_ids))).all()
    return sorted(roles, key=lambda role: role.name)


def projects_of_user(session, user_id):
    """Enabled projects in enabled domains where the user holds any role."""
    return session.scalars(
        select(models.Project)
        .join(models.Domain, models.Domain.id == models.Project.domain_id)
        .where(models.Project.id.in_(
                   select(models.RoleAssignment.project_id)
                   .where(models.RoleAssignment.user_id == user_id)),
               models.Project.enabled.is_(True), models.Domain.enabled.is_(True))
        .order_by(models.Project.name)).all()


def user_projects(db, user_id):
    """The projects a token of the user may be scoped to; 404 when there is no such user."""
    with db.session() as session:
        records.get_or_404(session, models.User, user_id, "user")
        return projects_of_user(session, user_id)


def scoping_projects(db, user_id):
    """The projects a token of the user may be scoped to."""
    with db.session() as session:
        return projects_of_user(session, user_id)
