"""``/v3/projects``: create, list, show, update and delete projects (the rules are in
``controller.identity.projects``)."""
import falcon

from controller import policy
from controller.api import errors
from controller.identity import domains, models, projects, records
from controller.identity.api import common

FIELDS = ("name", "domain_id", "description", "enabled", "parent_id", "is_domain", "tags")
TAG_FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")


def project_view(req, project):
    return common.with_extra({
        "id": project.id, "name": project.name, "domain_id": project.domain_id,
        "description": project.description, "enabled": project.enabled,
        "parent_id": project.parent_id or project.domain_id, "is_domain": False,
        "tags": project.tags, "options": {},
        "links": common.self_link(req, f"projects/{project.id}")}, project)


def domain_project_view(req, domain):
    """A domain as the projects API shows it: Keystone keeps each domain as a project
    that acts as a domain (``is_domain``), at the top of its own tree."""
    return {"id": domain.id, "name": domain.name, "domain_id": None,
            "description": domain.description, "enabled": domain.enabled,
            "parent_id": None, "is_domain": True, "tags": [], "options": {},
            "links": common.self_link(req, f"projects/{domain.id}")}


def _domain_changes(data):
    """A project acting as a domain takes a name, description and enabled, no place in
    another tree and no tags."""
    if data.get("domain_id") is not None or data.get("parent_id") is not None:
        raise errors.BadRequest("A project acting as a domain has no domain_id or "
                                "parent_id.")
    if data.get("tags"):
        raise errors.BadRequest("Tags on projects acting as domains are not supported.")
    if "is_domain" in data and data["is_domain"] is not True:
        raise errors.BadRequest("is_domain cannot be changed.")
    changes = {}
    if "name" in data:
        changes["name"] = common.string(data, "name", "project", max_length=64)
    if "description" in data:
        changes["description"] = common.text(data, "description", "project") or ""
    if "enabled" in data:
        changes["enabled"] = common.boolean(data, "enabled", "project")
    return changes


def _changes(data):
    changes = {key: data[key] for key in ("domain_id", "parent_id") if key in data}
    if data.get("is_domain"):
        raise errors.BadRequest("is_domain cannot be changed: a project does not become "
                                "a domain.")
    if "name" in data:
        changes["name"] = common.string(data, "name", "project", max_length=64)
    if "description" in data:
        changes["description"] = common.text(data, "description", "project") or ""
    if "enabled" in data:
        changes["enabled"] = common.boolean(data, "enabled", "project")
    if "tags" in data:
        changes["tags"] = tag_list(data["tags"])
    return changes


def tag(value):
    """A Keystone project tag: 1 to 255 characters, neither ',' nor '/'."""
    if (not isinstance(value, str) or not 0 < len(value) <= 255 or "," in value
            or "/" in value):
        raise errors.BadRequest(f"Invalid project tag {value!r}: expecting 1 to 255 "
                                f"characters, without ',' or '/'.")
    return value


def tag_list(value):
    if not isinstance(value, list):
        raise errors.BadRequest("Invalid input for field 'tags': expecting a list.")
    tags = [tag(item) for item in value]
    if len(set(tags)) != len(tags):
        raise errors.BadRequest("Invalid input for field 'tags': tags must be unique.")
    if len(tags) > projects.MAX_TAGS:
        raise errors.BadRequest(f"A project has at most {projects.MAX_TAGS} tags.")
    return tags


class Projects:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_projects")
        if common.query_flag(req, "is_domain"):
            rows = records.list_rows(self.db, models.Domain,
                                     common.filters(req, ("name", "enabled")),
                                     models.Domain.name)
            resp.media = common.collection(req, "projects",
                                           [domain_project_view(req, d) for d in rows])
            return
        tag_filters = {name: [tag(t) for t in req.get_param(name).split(",")]
                       for name in TAG_FILTERS if req.get_param(name)}
        rows = projects.list_projects(self.db,
                                      common.filters(req, ("name", "domain_id", "enabled")),
                                      req.get_param("parent_id"), tag_filters)
        resp.media = common.collection(req, "projects", [project_view(req, p) for p in rows])

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "identity:create_project")
        data = common.read_json(req, "project")
        extra = common.extra_attributes(data, FIELDS, "project")
        common.check_fields(data, FIELDS + tuple(extra), ("name",), "project")
        if data.get("is_domain") is True:
            changes = _domain_changes(data)
            domain = domains.create_domain(self.db, changes["name"],
                                           changes.get("description", ""),
                                           changes.get("enabled", True))
            resp.status = falcon.HTTP_201
            resp.media = {"project": domain_project_view(req, domain)}
            return
        changes = _changes(data)
        domain_id = changes.get("domain_id") or models.DEFAULT_DOMAIN_ID
        project = projects.create_project(
            self.db, changes["name"], domain_id,
            description=changes.get("description", ""),
            enabled=changes.get("enabled", True), parent_id=changes.get("parent_id"),
            extra=extra, tags=changes.get("tags", ()))
        resp.status = falcon.HTTP_201
        resp.media = {"project": project_view(req, project)}


class Project:
    def __init__(self, db, token_service):
        self.db = db
        self.tokens = token_service

    def on_get(self, req, resp, project_id):
        policy.authorize(req.context.auth, "identity:get_project", {"project_id": project_id})
        domain = domains.find_domain(self.db, project_id)
        if domain is not None:
            resp.media = {"project": domain_project_view(req, domain)}
            return
        project = records.show(self.db, models.Project, project_id, "project")
        resp.media = {"project": project_view(req, project)}

    def on_patch(self, req, resp, project_id):
        policy.authorize(req.context.auth, "identity:update_project")
        data = common.read_json(req, "project")
        if domains.find_domain(self.db, project_id) is not None:
            common.check_fields(data, FIELDS + ("id",), where="project")
            domain = domains.update_domain(self.db, project_id, _domain_changes(data))
            resp.media = {"project": domain_project_view(req, domain)}
            return
        extra = common.extra_attributes(data, FIELDS, "project", project_id)
        common.check_fields(data, FIELDS + tuple(extra) + ("id",), where="project")
        changes = _changes(data)
        if extra:
            changes["extra"] = extra
        project = projects.update_project(self.db, self.tokens, project_id, changes)
        resp.media = {"project": project_view(req, project)}

    def on_delete(self, req, resp, project_id):
        policy.authorize(req.context.auth, "identity:delete_project")
        if domains.find_domain(self.db, project_id) is not None:
            domains.delete_domain(self.db, self.tokens, project_id)
        else:
            projects.delete_project(self.db, self.tokens, project_id)
        resp.status = falcon.HTTP_204


class ProjectTags:
    """``/v3/projects/{project_id}/tags``: all of a project's tags at once."""

    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, project_id):
        policy.authorize(req.context.auth, "identity:get_project_tags",
                         {"project_id": project_id})
        resp.media = {"tags": projects.list_tags(self.db, project_id),
                      "links": common.self_link(req, f"projects/{project_id}/tags")}

    def on_put(self, req, resp, project_id):
        policy.authorize(req.context.auth, "identity:update_project_tags")
        data = common.read_json(req)
        common.check_fields(data, ("tags",), ("tags",), "request")
        tags = projects.replace_tags(self.db, project_id, tag_list(data["tags"]))
        resp.media = {"tags": tags,
                      "links": common.self_link(req, f"projects/{project_id}/tags")}

    def on_delete(self, req, resp, project_id):
        policy.authorize(req.context.auth, "identity:delete_project_tags")
        projects.replace_tags(self.db, project_id, [])
        resp.status = falcon.HTTP_204


class ProjectTag:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, project_id, value):
        policy.authorize(req.context.auth, "identity:get_project_tag",
                         {"project_id": project_id})
        projects.check_tag(self.db, project_id, value)
        resp.status = falcon.HTTP_204

    on_head = on_get

    def on_put(self, req, resp, project_id, value):
        policy.authorize(req.context.auth, "identity:create_project_tag")
        projects.add_tag(self.db, project_id, tag(value))
        resp.status = falcon.HTTP_201
        resp.set_header("Location", f"{common.identity_url(req)}/v3/projects/{project_id}"
                                    f"/tags/{value}")

    def on_delete(self, req, resp, project_id, value):
        policy.authorize(req.context.auth, "identity:delete_project_tag")
        projects.delete_tag(self.db, project_id, value)
        resp.status = falcon.HTTP_204
