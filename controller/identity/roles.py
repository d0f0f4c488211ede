"""Roles, their grants to users on projects, and the role assignments listing, each in one
transaction. Taking a role away revokes the user's tokens on that project; a token's
roles are read afresh at every validation anyway, so a grant shows in the next one."""
from sqlalchemy import false, select

from controller.api import errors
from controller.identity import assignments, models, records


def list_roles(db, filters, domain_id=None):
    """Roles matching ``filters``; none for a ``domain_id``: every role is global."""
    statement = records.apply_filters(select(models.Role), models.Role, filters)
    if domain_id:
        statement = statement.where(false())
    with db.session() as session:
        return session.scalars(statement.order_by(models.Role.name)).all()


def create_role(db, name, description):
    role = models.Role(name=name, description=description)
    with db.session() as session:
        records.conflict_on_duplicate(session, "role", name,
                                      select(models.Role.id).where(models.Role.name == name))
        session.add(role)
        records.flush(session, "role")
    return role


def delete_role(db, role_id):
    with db.session() as session:
        session.delete(records.get_or_404(session, models.Role, role_id, "role"))


def _grant_targets(session, project_id, user_id, role_id=None):
    records.get_or_404(session, models.Project, project_id, "project")
    records.get_or_404(session, models.User, user_id, "user")
    if role_id is not None:
        records.get_or_404(session, models.Role, role_id, "role")


def _find_grant(session, project_id, user_id, role_id):
    _grant_targets(session, project_id, user_id, role_id)
    return session.get(models.RoleAssignment, (user_id, project_id, role_id))


def _no_grant():
    return errors.NotFound("Could not find role assignment.")


def list_grants(db, project_id, user_id):
    """The roles the user holds directly on the project."""
    with db.session() as session:
        _grant_targets(session, project_id, user_id)
        return session.scalars(
            select(models.Role).join(models.RoleAssignment,
                                     models.RoleAssignment.role_id == models.Role.id)
            .where(models.RoleAssignment.project_id == project_id,
                   models.RoleAssignment.user_id == user_id)
            .order_by(models.Role.name)).all()


def check_grant(db, project_id, user_id, role_id):
    with db.session() as session:
        if _find_grant(session, project_id, user_id, role_id) is None:
            raise _no_grant()


def create_grant(db, project_id, user_id, role_id):
    """Grant the role (granting it again changes nothing)."""
    with db.session() as session:
        if _find_grant(session, project_id, user_id, role_id) is None:
            session.add(models.RoleAssignment(user_id=user_id, project_id=project_id,
                                              role_id=role_id))


def revoke_grant(db, tokens, project_id, user_id, role_id):
    with db.session() as session:
        grant = _find_grant(session, project_id, user_id, role_id)
        if grant is None:
            raise _no_grant()
        session.delete(grant)
    tokens.revoke_grant(user_id, project_id)


def list_assignments(db, user_id=None, project_id=None, role_id=None, effective=False,
                     include_names=False):
    """Sorted (user id, project id, role id) assignments, with implied roles when
    ``effective``; and the Names to show with them when ``include_names`` (else None)."""
    statement = select(models.RoleAssignment)
    if user_id:
        statement = statement.where(models.RoleAssignment.user_id == user_id)
    if project_id:
        statement = statement.where(models.RoleAssignment.project_id == project_id)
    with db.session() as session:
        rows = {(a.user_id, a.project_id, a.role_id) for a in session.scalars(statement)}
        if effective:
            implied = assignments.implications(session)
            rows = {(user, project, role)
                    for user, project, direct in rows
                    for role in assignments.expand_implied([direct], implied)}
        if role_id:
            rows = {row for row in rows if row[2] == role_id}
        return sorted(rows), Names(session) if include_names else None


class Names:
    """Names of users, projects (with their domains) and roles, read once per request."""

    def __init__(self, session):
        domains = dict(session.execute(select(models.Domain.id, models.Domain.name)).all())
        self._users = {u.id: (u.name, u.domain_id)
                       for u in session.execute(select(models.User.id, models.User.name,
                                                       models.User.domain_id))}
        self._projects = {p.id: (p.name, p.domain_id)
                          for p in session.execute(select(models.Project.id,
                                                          models.Project.name,
                                                          models.Project.domain_id))}
        self._roles = dict(session.execute(select(models.Role.id, models.Role.name)).all())
        self._domains = domains

    def _named(self, name, domain_id):
        return {"name": name, "domain": {"id": domain_id, "name": self._domains[domain_id]}}

    def user(self, user_id):
        return self._named(*self._users[user_id])

    def project(self, project_id):
        return self._named(*self._projects[project_id])

    def role(self, role_id):
        return self._roles[role_id]
