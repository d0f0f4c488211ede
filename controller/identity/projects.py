"""Projects: created, changed and deleted each in one transaction. A project hangs off its
domain or off another project of the same domain (Keystone's hierarchy, at most
``MAX_DEPTH`` deep); one with children cannot be deleted. Disabling or deleting a project
revokes the tokens scoped to it."""
from sqlalchemy import select

from controller.api import errors
from controller.identity import models, records

# Keystone's [DEFAULT] max_project_tree_depth.
MAX_DEPTH = 5


def _duplicate_check(session, name, domain_id, exclude_id=None):
    statement = select(models.Project.id).where(models.Project.name == name,
                                                models.Project.domain_id == domain_id)
    if exclude_id is not None:
        statement = statement.where(models.Project.id != exclude_id)
    records.conflict_on_duplicate(session, "project", f"{name} in domain {domain_id}",
                                  statement)


def _parent(session, parent_id, domain_id):
    """The stored parent: None for the domain itself, else a project of the domain."""
    if parent_id is None or parent_id == domain_id:
        return None
    parent = session.get(models.Project, parent_id)
    if parent is None:
        raise errors.NotFound(f"Could not find project: {parent_id}.")
    if parent.domain_id != domain_id:
        raise errors.BadRequest("Cannot create project, the parent is in another domain.")
    depth, current = 1, parent
    while current.parent_id is not None:
        depth += 1
        current = session.get(models.Project, current.parent_id)
    if depth >= MAX_DEPTH:
        raise errors.Forbidden(f"Max hierarchy depth reached for {parent_id} branch.")
    return parent_id


def create_project(db, name, domain_id, description, enabled, parent_id=None, extra=None):
    project = models.Project(name=name, domain_id=domain_id, description=description,
                             enabled=enabled, extra=extra or {})
    with db.session() as session:
        records.domain_or_400(session, domain_id)
        project.parent_id = _parent(session, parent_id, domain_id)
        _duplicate_check(session, name, domain_id)
        session.add(project)
        records.flush(session, "project")
    return project


def list_projects(db, filters, parent_id=None):
    """Projects matching ``filters``; the children of ``parent_id`` (a project or a domain)
    when given."""
    statement = records.apply_filters(select(models.Project), models.Project, filters)
    if parent_id is not None:
        statement = statement.where(
            (models.Project.parent_id == parent_id)
            | (models.Project.parent_id.is_(None) & (models.Project.domain_id == parent_id)))
    with db.session() as session:
        return session.scalars(statement.order_by(models.Project.name)).all()


def update_project(db, tokens, project_id, changes):
    """Apply ``changes`` (parsed from the request body); revoke the project's tokens if it
    was disabled. Neither its domain nor its parent can change."""
    disabled = False
    with db.session() as session:
        project = records.get_or_404(session, models.Project, project_id, "project")
        if changes.get("domain_id", project.domain_id) != project.domain_id:
            raise errors.BadRequest("A project cannot move to another domain.")
        parent = project.parent_id or project.domain_id
        if changes.get("parent_id", parent) != parent:
            raise errors.Forbidden("Update of parent_id is not allowed.")
        if "name" in changes:
            project.name = changes["name"]
            _duplicate_check(session, project.name, project.domain_id, project.id)
        if "description" in changes:
            project.description = changes["description"]
        if "enabled" in changes:
            disabled = project.enabled and not changes["enabled"]
            project.enabled = changes["enabled"]
        if "extra" in changes:
            project.extra = {**(project.extra or {}), **changes["extra"]}
        records.flush(session, "project")
    if disabled:
        tokens.revoke_project(project_id)
    return project


def delete_project(db, tokens, project_id):
    with db.session() as session:
        project = records.get_or_404(session, models.Project, project_id, "project")
        if session.scalar(select(models.Project.id)
                          .where(models.Project.parent_id == project_id).limit(1)):
            raise errors.Forbidden(f"Cannot delete the project {project_id}, since it is "
                                   f"not a leaf in the hierarchy.")
        session.delete(project)
        records.delete_assignments(session, target=("project", project_id))
    tokens.revoke_project(project_id)
