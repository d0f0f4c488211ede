"""Projects: created, changed and deleted each in one transaction. Projects hang directly
off their domain, and disabling or deleting one revokes the tokens scoped to it."""
from sqlalchemy import select

from controller.api import errors
from controller.identity import models, records


def check_flat(data, domain_id):
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
    records.conflict_on_duplicate(session, "project", f"{name} in domain {domain_id}",
                                  statement)


def create_project(db, name, domain_id, description, enabled):
    project = models.Project(name=name, domain_id=domain_id, description=description,
                             enabled=enabled)
    with db.session() as session:
        records.domain_or_400(session, domain_id)
        _duplicate_check(session, name, domain_id)
        session.add(project)
        records.flush(session, "project")
    return project


def update_project(db, tokens, project_id, data, changes):
    """Apply ``changes`` (parsed from the request body ``data``); revoke the project's
    tokens if it was disabled."""
    disabled = False
    with db.session() as session:
        project = records.get_or_404(session, models.Project, project_id, "project")
        if data.get("domain_id", project.domain_id) != project.domain_id:
            raise errors.BadRequest("A project cannot move to another domain.")
        check_flat(data, project.domain_id)
        if "name" in changes:
            project.name = changes["name"]
            _duplicate_check(session, project.name, project.domain_id, project.id)
        if "description" in changes:
            project.description = changes["description"]
        if "enabled" in changes:
            disabled = project.enabled and not changes["enabled"]
            project.enabled = changes["enabled"]
        records.flush(session, "project")
    if disabled:
        tokens.revoke_project(project_id)
    return project


def delete_project(db, tokens, project_id):
    with db.session() as session:
        session.delete(records.get_or_404(session, models.Project, project_id, "project"))
        records.delete_assignments(session, target=("project", project_id))
    tokens.revoke_project(project_id)
