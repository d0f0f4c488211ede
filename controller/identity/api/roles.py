"""``/v3/roles``, grants of roles to users on projects, and ``/v3/role_assignments``.

Taking a role away revokes the user's tokens on that project; a token's roles are read
afresh at every validation anyway, so a grant shows in the next validation.
"""
import falcon
from sqlalchemy import false, select

from controller import policy
from controller.api import errors
from controller.identity import assignments, models
from controller.identity.api import common

# Assignment filters of kinds that pocketstack has none of (groups, domain and system
# scope, inheritance): asking for them matches nothing.
UNSUPPORTED_FILTERS = ("group.id", "scope.domain.id", "scope.system",
                       "scope.OS-INHERIT:inherited_to")


def role_view(req, role):
    return {"id": role.id, "name": role.name, "domain_id": None,
            "description": role.description, "options": {},
            "links": common.self_link(req, f"roles/{role.id}")}


class Roles:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_roles")
        statement = common.apply_filters(req, select(models.Role), models.Role, ("name",))
        if req.get_param("domain_id"):
            statement = statement.where(false())  # every role is global
        with self.db.session() as session:
            roles = session.scalars(statement.order_by(models.Role.name)).all()
            resp.media = common.collection(req, "roles", [role_view(req, r) for r in roles])

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "identity:create_role")
        data = common.read_json(req, "role")
        common.check_fields(data, ("name", "description", "domain_id"), ("name",), "role")
        if data.get("domain_id") is not None:
            raise errors.BadRequest("Domain-specific roles are not supported.")
        name = common.string(data, "name", "role")
        role = models.Role(name=name, description=common.text(data, "description", "role"))
        with self.db.session() as session:
            common.conflict_on_duplicate(session, "role", name,
                                         select(models.Role.id).where(models.Role.name == name))
            session.add(role)
            common.flush(session, "role")
            resp.status = falcon.HTTP_201
            resp.media = {"role": role_view(req, role)}


class Role:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, role_id):
        policy.authorize(req.context.auth, "identity:get_role")
        with self.db.session() as session:
            resp.media = {"role": role_view(req, common.get_or_404(session, models.Role,
                                                                   role_id, "role"))}

    def on_delete(self, req, resp, role_id):
        policy.authorize(req.context.auth, "identity:delete_role")
        with self.db.session() as session:
            session.delete(common.get_or_404(session, models.Role, role_id, "role"))
        resp.status = falcon.HTTP_204


def _grant_targets(session, project_id, user_id, role_id=None):
    common.get_or_404(session, models.Project, project_id, "project")
    common.get_or_404(session, models.User, user_id, "user")
    if role_id is not None:
        common.get_or_404(session, models.Role, role_id, "role")


class Grants:
    """The roles a user holds directly on a project."""

    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, project_id, user_id):
        policy.authorize(req.context.auth, "identity:list_grants")
        with self.db.session() as session:
            _grant_targets(session, project_id, user_id)
            roles = session.scalars(
                select(models.Role).join(models.RoleAssignment,
                                         models.RoleAssignment.role_id == models.Role.id)
                .where(models.RoleAssignment.project_id == project_id,
                       models.RoleAssignment.user_id == user_id)
                .order_by(models.Role.name)).all()
            resp.media = common.collection(req, "roles", [role_view(req, r) for r in roles])


class Grant:
    def __init__(self, db, token_service):
        self.db = db
        self.tokens = token_service

    def _find(self, session, project_id, user_id, role_id):
        _grant_targets(session, project_id, user_id, role_id)
        return session.get(models.RoleAssignment, (user_id, project_id, role_id))

    def on_head(self, req, resp, project_id, user_id, role_id):
        policy.authorize(req.context.auth, "identity:check_grant")
        with self.db.session() as session:
            if self._find(session, project_id, user_id, role_id) is None:
                raise errors.NotFound("Could not find role assignment.")
        resp.status = falcon.HTTP_204

    on_get = on_head

    def on_put(self, req, resp, project_id, user_id, role_id):
        policy.authorize(req.context.auth, "identity:create_grant")
        with self.db.session() as session:
            if self._find(session, project_id, user_id, role_id) is None:
                session.add(models.RoleAssignment(user_id=user_id, project_id=project_id,
                                                  role_id=role_id))
        resp.status = falcon.HTTP_204

    def on_delete(self, req, resp, project_id, user_id, role_id):
        policy.authorize(req.context.auth, "identity:revoke_grant")
        with self.db.session() as session:
            grant = self._find(session, project_id, user_id, role_id)
            if grant is None:
                raise errors.NotFound("Could not find role assignment.")
            session.delete(grant)
        self.tokens.revoke_grant(user_id, project_id)
        resp.status = falcon.HTTP_204


class RoleAssignments:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        user_id = req.get_param("user.id")
        policy.authorize(req.context.auth, "identity:list_role_assignments",
                         {"user_id": user_id} if user_id else {})
        if any(req.get_param(name) for name in UNSUPPORTED_FILTERS):
            resp.media = common.collection(req, "role_assignments", [])
            return
        role_id = req.get_param("role.id")
        statement = select(models.RoleAssignment)
        if user_id:
            statement = statement.where(models.RoleAssignment.user_id == user_id)
        project_id = req.get_param("scope.project.id")
        if project_id:
            statement = statement.where(models.RoleAssignment.project_id == project_id)
        with self.db.session() as session:
            rows = {(a.user_id, a.project_id, a.role_id)
                    for a in session.scalars(statement)}
            if common.query_flag(req, "effective"):
                implied = assignments.implications(session)
                rows = {(user, project, role)
                        for user, project, direct in rows
                        for role in assignments.expand_implied([direct], implied)}
            if role_id:
                rows = {row for row in rows if row[2] == role_id}
            names = _Names(session) if common.query_flag(req, "include_names") else None
            items = [self._view(req, row, names) for row in sorted(rows)]
        resp.media = common.collection(req, "role_assignments", items)

    @staticmethod
    def _view(req, row, names):
        user_id, project_id, role_id = row
        view = {"user": {"id": user_id}, "scope": {"project": {"id": project_id}},
                "role": {"id": role_id},
                "links": {"assignment": f"{common.identity_url(req)}/v3/projects/"
                                        f"{project_id}/users/{user_id}/roles/{role_id}"}}
        if names is not None:
            view["user"].update(names.user(user_id))
            view["scope"]["project"].update(names.project(project_id))
            view["role"]["name"] = names.role(role_id)
        return view


class _Names:
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
