"""Role grants: a user or a group holds a role on a project, a domain or the system; and
Keystone's ``/v3/role_assignments`` listing of them (effective: through groups and implied
roles). Each operation is one transaction. Taking a role on a project away from a user
revokes the user's tokens there; every other change shows at the next validation, which
reads roles afresh."""
import dataclasses

from sqlalchemy import select

from controller.api import errors
from controller.identity import assignments, models, records

TARGET_MODELS = {"project": models.Project, "domain": models.Domain}
ACTOR_MODELS = {"user": models.User, "group": models.Group}


@dataclasses.dataclass(frozen=True)
class Grant:
    """Where a role is held: ``target_type``/``target_id`` (the system's ID is "all"), by
    whom: ``actor_type``/``actor_id``, and whether only the projects below the target
    inherit it (OS-INHERIT)."""
    target_type: str
    target_id: str
    actor_type: str
    actor_id: str
    inherited: bool = False


def _check(session, grant, role_id=None):
    """404 for a missing target, actor or role, as Keystone answers."""
    if grant.target_type in TARGET_MODELS:
        records.get_or_404(session, TARGET_MODELS[grant.target_type], grant.target_id,
                           grant.target_type)
    records.get_or_404(session, ACTOR_MODELS[grant.actor_type], grant.actor_id,
                       grant.actor_type)
    if role_id is not None:
        records.get_or_404(session, models.Role, role_id, "role")


def _row(session, grant, role_id):
    _check(session, grant, role_id)
    return session.get(models.Assignment, (grant.actor_type, grant.actor_id,
                                           grant.target_type, grant.target_id, role_id,
                                           grant.inherited))


def _no_grant(grant, role_id):
    return errors.NotFound(f"Could not find role assignment with role: {role_id}, user or "
                           f"group: {grant.actor_id}, project, domain, or system: "
                           f"{grant.target_id}.")


def list_roles(db, grant):
    """The roles held directly by the grant's actor on its target."""
    A = models.Assignment
    with db.session() as session:
        _check(session, grant)
        return session.scalars(
            select(models.Role).join(A, A.role_id == models.Role.id)
            .where(A.actor_type == grant.actor_type, A.actor_id == grant.actor_id,
                   A.target_type == grant.target_type, A.target_id == grant.target_id,
                   A.inherited.is_(grant.inherited))
            .order_by(models.Role.name)).all()


def check(db, grant, role_id):
    with db.session() as session:
        if _row(session, grant, role_id) is None:
            raise _no_grant(grant, role_id)


def create(db, grant, role_id):
    """Grant the role (granting it again changes nothing)."""
    with db.session() as session:
        if _row(session, grant, role_id) is None:
            role = session.get(models.Role, role_id)
            if role.domain_id is not None and grant.target_type == "system":
                raise errors.Forbidden("Domain-specific roles cannot be granted on the "
                                       "system.")
            session.add(models.Assignment(
                actor_type=grant.actor_type, actor_id=grant.actor_id,
                target_type=grant.target_type, target_id=grant.target_id, role_id=role_id,
                inherited=grant.inherited))


def revoke(db, tokens, grant, role_id):
    with db.session() as session:
        row = _row(session, grant, role_id)
        if row is None:
            raise _no_grant(grant, role_id)
        session.delete(row)
    if grant.actor_type == "user" and grant.target_type == "project" and not grant.inherited:
        tokens.revoke_grant(grant.actor_id, grant.target_id)
    elif grant.actor_type == "user":
        # Revocation events name a user and a project; for a domain, the system or the
        # projects below a target the user's tokens all go, so caches drop them at once.
        tokens.revoke_user(grant.actor_id)


@dataclasses.dataclass(frozen=True)
class Listed:
    """One row of ``/v3/role_assignments``: the grant, its role, and for an effective
    listing the group it came through and the role that implied it."""
    grant: Grant
    role_id: str
    via_group: str | None = None
    prior_role_id: str | None = None
    source: Grant | None = None  # the inherited grant an effective row comes from


def list_assignments(db, filters, effective=False, include_names=False,
                     inherited_only=False):
    """Sorted Listed rows matching ``filters`` (user_id, group_id, role_id, project_id,
    domain_id, system: each None or a value); and the Names to show with them when
    ``include_names`` (else None). Effective: group grants become their members', implied
    roles are added and inherited grants land on the projects below their target."""
    A = models.Assignment
    statement = select(A)
    if filters.get("group_id"):
        statement = statement.where(A.actor_type == "group", A.actor_id == filters["group_id"])
    if filters.get("user_id") and not effective:
        statement = statement.where(A.actor_type == "user", A.actor_id == filters["user_id"])
    if inherited_only:
        statement = statement.where(A.inherited.is_(True))
    with db.session() as session:
        rows = [Listed(Grant(a.target_type, a.target_id, a.actor_type, a.actor_id,
                             a.inherited), a.role_id)
                for a in session.scalars(statement)]
        if effective:
            rows = _effective(session, _inherit(session, rows), filters.get("user_id"))
        targets = [(kind, filters[key]) for kind, key in (
            ("project", "project_id"), ("domain", "domain_id"), ("system", "system"))
            if filters.get(key)]
        rows = [row for row in rows
                if all((row.grant.target_type, row.grant.target_id) == target
                       for target in targets)
                and (not filters.get("role_id") or row.role_id == filters["role_id"])]
        return sorted(set(rows), key=_order), Names(session) if include_names else None


def _inherit(session, rows):
    """Inherited grants become grants on each project below their target (the source
    grant kept in ``source``)."""
    result = []
    for row in rows:
        grant = row.grant
        if not grant.inherited:
            result.append(row)
            continue
        if grant.target_type == "domain":
            projects = session.scalars(select(models.Project.id).where(
                models.Project.domain_id == grant.target_id)).all()
        else:
            projects = assignments.descendants(session, [grant.target_id])
        for project_id in projects:
            result.append(Listed(Grant("project", project_id, grant.actor_type,
                                       grant.actor_id), row.role_id, source=grant))
    return result


def _order(row):
    return (dataclasses.astuple(row.grant), row.role_id, row.via_group or "",
            row.prior_role_id or "", row.source is not None)


def _effective(session, rows, user_id):
    """Group grants become their members' grants and implied roles are added."""
    members = {}
    for group_id, member in session.execute(select(models.GroupMember.group_id,
                                                   models.GroupMember.user_id)):
        members.setdefault(group_id, []).append(member)
    implied = assignments.implications(session)
    domain_roles = set(session.scalars(select(models.Role.id)
                                       .where(models.Role.domain_id.is_not(None))))
    result = []
    for row in rows:
        grant = row.grant
        if grant.actor_type == "group":
            users = [(u, grant.actor_id) for u in members.get(grant.actor_id, ())]
        else:
            users = [(grant.actor_id, None)]
        for user, via in users:
            if user_id and user != user_id:
                continue
            as_user = Grant(grant.target_type, grant.target_id, "user", user)
            for role_id in assignments.expand_implied([row.role_id], implied):
                if role_id not in domain_roles:
                    result.append(Listed(as_user, role_id, via,
                                         row.role_id if role_id != row.role_id else None,
                                         row.source))
    return result


class Names:
    """Names of users, groups, projects (with their domains), domains and roles, read
    once per request."""

    def __init__(self, session):
        self._domains = dict(session.execute(select(models.Domain.id,
                                                    models.Domain.name)).all())
        self._owned = {}
        for model in (models.User, models.Group, models.Project):
            for id_, name, domain_id in session.execute(select(model.id, model.name,
                                                               model.domain_id)):
                self._owned[id_] = (name, domain_id)
        self._roles = {r.id: (r.name, r.domain_id) for r in session.execute(
            select(models.Role.id, models.Role.name, models.Role.domain_id))}

    def domain(self, domain_id):
        return {"name": self._domains[domain_id]}

    def owned(self, object_id):
        """A user's, group's or project's name and domain."""
        name, domain_id = self._owned[object_id]
        return {"name": name, "domain": {"id": domain_id, "name": self._domains[domain_id]}}

    def role(self, role_id):
        name, domain_id = self._roles[role_id]
        if domain_id is None:
            return {"name": name}
        return {"name": name, "domain": {"id": domain_id, "name": self._domains[domain_id]}}
