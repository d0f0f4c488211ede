"""``/v3/projects``: create, list, show, update and delete projects."""
import falcon
from sqlalchemy import select

from controller import policy
from controller.api import errors
from controller.identity import models
from controller.identity.api import common

FIELDS = ("name", "domain_id", "description", "enabled", "parent_id", "is_domain")


def project_view(req, project):
    return {"id": project.id, "name": project.name, "domain_id": project.domain_id,
            "description": project.description, "enabled": project.enabled,
            "parent_id": project.domain_id, "is_domain": False, "tags": [], "options": {},
            "links": common.self_link(req, f"projects/{project.id}")}


def _check_flat(data, domain_id):
    """Projects hang directly off their domain; there are no project domains."""
    if data.get("is_domain"):
        raise errors.BadRequest("Projects acting as domains are not supported.")
    parent_id = data.get("parent_id")
    if parent_id is not None and parent_id != domain_id:
        raise errors.BadRequest("Nested projects are not supported: parent_id must be "
                                "the project's domain.")


def _duplicate_check(session, name, domain_id, exclude_id=None):
    statement = select(models.Project.id).where(models.Project.name == name,
                                                models.Project.domain_id == domain_id)
    if exclude_id is not None:
        statement = statement.where(models.Project.id != exclude_id)
    common.conflict_on_duplicate(session, "project", f"{name} in domain {domain_id}",
                                 statement)


class Projects:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_projects")
        statement = common.apply_filters(req, select(models.Project), models.Project,
                                         ("name", "domain_id", "enabled"))
        with self.db.session() as session:
            projects = session.scalars(statement.order_by(models.Project.name)).all()
            resp.media = common.collection(req, "projects",
                                           [project_view(req, p) for p in projects])

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "identity:create_project")
        data = common.read_json(req, "project")
        common.check_fields(data, FIELDS, ("name",), "project")
        name = common.string(data, "name", "project", max_length=64)
        domain_id = data.get("domain_id") or models.DEFAULT_DOMAIN_ID
        _check_flat(data, domain_id)
        project = models.Project(
            name=name, domain_id=domain_id,
            description=common.text(data, "description", "project") or "",
            enabled=common.boolean(data, "enabled", "project") if "enabled" in data else True)
        with self.db.session() as session:
            common.domain_or_400(session, domain_id)
            _duplicate_check(session, name, domain_id)
            session.add(project)
            common.flush(session, "project")
            resp.status = falcon.HTTP_201
            resp.media = {"project": project_view(req, project)}


class Project:
    def __init__(self, db, token_service):
        self.db = db
        self.tokens = token_service

    def on_get(self, req, resp, project_id):
        policy.authorize(req.context.auth, "identity:get_project", {"project_id": project_id})
        with self.db.session() as session:
            project = common.get_or_404(session, models.Project, project_id, "project")
            resp.media = {"project": project_view(req, project)}

    def on_patch(self, req, resp, project_id):
        policy.authorize(req.context.auth, "identity:update_project")
        data = common.read_json(req, "project")
        common.check_fields(data, FIELDS, where="project")
        disabled = False
        with self.db.session() as session:
            project = common.get_or_404(session, models.Project, project_id, "project")
            if data.get("domain_id", project.domain_id) != project.domain_id:
                raise errors.BadRequest("A project cannot move to another domain.")
            _check_flat(data, project.domain_id)
            if "name" in data:
                project.name = common.string(data, "name", "project", max_length=64)
                _duplicate_check(session, project.name, project.domain_id, project.id)
            if "description" in data:
                project.description = common.text(data, "description", "project") or ""
            if "enabled" in data:
                enabled = common.boolean(data, "enabled", "project")
                disabled = project.enabled and not enabled
                project.enabled = enabled
            common.flush(session, "project")
            resp.media = {"project": project_view(req, project)}
        if disabled:
            self.tokens.revoke_project(project_id)

    def on_delete(self, req, resp, project_id):
        policy.authorize(req.context.auth, "identity:delete_project")
        with self.db.session() as session:
            project = common.get_or_404(session, models.Project, project_id, "project")
            session.delete(project)
        self.tokens.revoke_project(project_id)
        resp.status = falcon.HTTP_204
