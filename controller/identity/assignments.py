"""Who holds which roles where: direct assignments, those through groups, plus the roles
they imply.

A token lists the user's effective roles on its scope (a project, a domain or the
system), so ``admin`` (which implies ``member``, which implies ``reader``) passes any rule
that asks for ``reader``. Domain-specific roles never show in a token themselves, only
the global roles they imply (as in Keystone).
"""
from sqlalchemy import and_, or_, select

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


def held_by(user_id):
    """The assignments that reach ``user_id``: its own and its groups'."""
    groups = select(models.GroupMember.group_id).where(models.GroupMember.user_id == user_id)
    A = models.Assignment
    return or_(and_(A.actor_type == "user", A.actor_id == user_id),
               and_(A.actor_type == "group", A.actor_id.in_(groups)))


def ancestors(session, project):
    """The IDs of the projects above ``project``, nearest first."""
    found = []
    while project.parent_id is not None:
        found.append(project.parent_id)
        project = session.get(models.Project, project.parent_id)
    return found


def _on(target_type, target_id, session):
    """The assignments that hold on the target: direct ones, and for a project those
    inherited from its domain and the projects above it (OS-INHERIT)."""
    A = models.Assignment
    direct = and_(A.target_type == target_type, A.target_id == target_id,
                  A.inherited.is_(False))
    if target_type != "project":
        return direct
    project = session.get(models.Project, target_id)
    if project is None:
        return direct
    return or_(direct,
               and_(A.inherited.is_(True), A.target_type == "domain",
                    A.target_id == project.domain_id),
               and_(A.inherited.is_(True), A.target_type == "project",
                    A.target_id.in_(ancestors(session, project))))


def direct_role_ids(session, user_id, target_type, target_id):
    """The roles assigned to the user (or its groups) that hold on the target."""
    A = models.Assignment
    return set(session.scalars(
        select(A.role_id).where(held_by(user_id), _on(target_type, target_id, session))))


def effective_roles(session, user_id, target_type, target_id):
    """The user's roles on the target, implied ones included, as global Role rows by
    name."""
    direct = direct_role_ids(session, user_id, target_type, target_id)
    if not direct:
        return []
    role_ids = expand_implied(direct, implications(session))
    roles = session.scalars(select(models.Role).where(models.Role.id.in_(role_ids),
                                                      models.Role.domain_id.is_(None))).all()
    return sorted(roles, key=lambda role: role.name)


def _targets_of(user_id, target_type, inherited=False):
    A = models.Assignment
    return select(A.target_id).where(held_by(user_id), A.target_type == target_type,
                                     A.inherited.is_(inherited))


def _project_ids_of(session, user_id):
    """Projects where the user holds a role: directly, or inherited from a domain or a
    project above."""
    Project = models.Project
    ids = set(session.scalars(_targets_of(user_id, "project")))
    ids.update(session.scalars(select(Project.id).where(
        Project.domain_id.in_(_targets_of(user_id, "domain", inherited=True)))))
    ids.update(descendants(session, session.scalars(
        _targets_of(user_id, "project", inherited=True))))
    return ids


def descendants(session, project_ids):
    """The IDs of every project below ``project_ids``."""
    found, frontier = set(), set(project_ids)
    while frontier:
        frontier = set(session.scalars(select(models.Project.id)
                                       .where(models.Project.parent_id.in_(frontier)))) - found
        found |= frontier
    return found


def projects_of_user(session, user_id):
    """Enabled projects in enabled domains where the user holds any role."""
    return session.scalars(
        select(models.Project)
        .join(models.Domain, models.Domain.id == models.Project.domain_id)
        .where(models.Project.id.in_(_project_ids_of(session, user_id)),
               models.Project.enabled.is_(True), models.Domain.enabled.is_(True))
        .order_by(models.Project.name)).all()


def domains_of_user(session, user_id):
    """Enabled domains where the user holds any role."""
    return session.scalars(
        select(models.Domain)
        .where(models.Domain.id.in_(_targets_of(user_id, "domain")),
               models.Domain.enabled.is_(True))
        .order_by(models.Domain.name)).all()


def user_projects(db, user_id):
    """The projects a token of the user may be scoped to; 404 when there is no such user."""
    with db.session() as session:
        records.get_or_404(session, models.User, user_id, "user")
        return projects_of_user(session, user_id)


def scoping_targets(db, user_id):
    """What a token of the user may be scoped to: (projects, domains, system or not)."""
    with db.session() as session:
        system = bool(direct_role_ids(session, user_id, "system", models.SYSTEM_ID))
        return projects_of_user(session, user_id), domains_of_user(session, user_id), system
