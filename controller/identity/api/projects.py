"""``/v3/projects``: create, list, show, update and delete projects."""
import falcon

from controller import policy
from controller.identity import models, projects, records
from controller.identity.api import common

FIELDS = ("name", "domain_id", "description", "enabled", "parent_id", "is_domain")


def project_view(req, project):
    return {"id": project.id, "name": project.name, "domain_id": project.domain_id,
            "description": project.description, "enabled": project.enabled,
            "parent_id": project.domain_id, "is_domain": False, "tags": [], "options": {},
            "links": common.self_link(req, f"projects/{project.id}")}


class Projects:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_projects")
        rows = records.list_rows(self.db, models.Project,
                                 common.filters(req, ("name", "domain_id", "enabled")),
                                 models.Project.name)
        resp.media = common.collection(req, "projects", [project_view(req, p) for p in rows])

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "identity:create_project")
        data = common.read_json(req, "project")
        common.check_fields(data, FIELDS, ("name",), "project")
        name = common.string(data, "name", "project", max_length=64)
        domain_id = data.get("domain_id") or models.DEFAULT_DOMAIN_ID
        projects.check_flat(data, domain_id)
        project = projects.create_project(
            self.db, name, domain_id,
            description=common.text(data, "description", "project") or "",
            enabled=common.boolean(data, "enabled", "project") if "enabled" in data else True)
        resp.status = falcon.HTTP_201
        resp.media = {"project": project_view(req, project)}


class Project:
    def __init__(self, db, token_service):
        self.db = db
        self.tokens = token_service

    def on_get(self, req, resp, project_id):
        policy.authorize(req.context.auth, "identity:get_project", {"project_id": project_id})
        project = records.show(self.db, models.Project, project_id, "project")
        resp.media = {"project": project_view(req, project)}

    def on_patch(self, req, resp, project_id):
        policy.authorize(req.context.auth, "identity:update_project")
        data = common.read_json(req, "project")
        common.check_fields(data, FIELDS, where="project")
        changes = {}
        if "name" in data:
            changes["name"] = common.string(data, "name", "project", max_length=64)
        if "description" in data:
            changes["description"] = common.text(data, "description", "project") or ""
        if "enabled" in data:
            changes["enabled"] = common.boolean(data, "enabled", "project")
        project = projects.update_project(self.db, self.tokens, project_id, data, changes)
        resp.media = {"project": project_view(req, project)}

    def on_delete(self, req, resp, project_id):
        policy.authorize(req.context.auth, "identity:delete_project")
        projects.delete_project(self.db, self.tokens, project_id)
        resp.status = falcon.HTTP_204
