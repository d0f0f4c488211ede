"""Projects: created, changed and deleted each in one transaction. A project hangs off its
domain or off another project of the same domain (Keystone's hierarchy, at most
``MAX_DEPTH`` deep); one with children cannot be deleted. Disabling or deleting a project
revokes the tokens scoped to it. Projects carry tags (Keystone's, at most ``MAX_TAGS``)."""
from sqlalchemy import select

from controller.api import errors
from controller.identity import models, records

# Keystone's [DEFAULT] max_project_tree_depth, and its limit of tags per project.
MAX_DEPTH = 5
MAX_TAGS = 80


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


def create_project(db, name, domain_id, description, enabled, parent_id=None, extra=None,
                   tags=()):
    project = models.Project(name=name, domain_id=domain_id, description=description,
                             enabled=enabled, extra=extra or {},
                             tag_rows=[models.ProjectTag(name=tag) for tag in tags])
    with db.session() as session:
        records.domain_or_400(session, domain_id)
        project.parent_id = _parent(session, parent_id, domain_id)
        _duplicate_check(session, name, domain_id)
        session.add(project)
        records.flush(session, "project")
    return project


def _tagged(tags):
    return select(models.ProjectTag.project_id).where(models.ProjectTag.name.in_(tags))


def _tag_filters(statement, tag_filters):
    """Keystone's ``tags`` (all of), ``tags-any``, ``not-tags`` (not all of) and
    ``not-tags-any`` (none of) filters, each a list of tags."""
    Project = models.Project
    for tag in tag_filters.get("tags", ()):
        statement = statement.where(Project.id.in_(_tagged([tag])))
    if tag_filters.get("tags-any"):
        statement = statement.where(Project.id.in_(_tagged(tag_filters["tags-any"])))
    if tag_filters.get("not-tags"):
        has_all = True
        for tag in tag_filters["not-tags"]:
            has_all = has_all & Project.id.in_(_tagged([tag]))
        statement = statement.where(~has_all)
    if tag_filters.get("not-tags-any"):
        statement = statement.where(Project.id.not_in(_tagged(tag_filters["not-tags-any"])))
    return statement


def list_projects(db, filters, parent_id=None, tag_filters=None):
    """Projects matching ``filters`` and ``tag_filters``; the children of ``parent_id`` (a
    project or a domain) when given."""
    statement = records.apply_filters(select(models.Project), models.Project, filters)
    statement = _tag_filters(statement, tag_filters or {})
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
        if "tags" in changes:
            _set_tags(project, changes["tags"])
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


def _set_tags(project, tags):
    if len(tags) > MAX_TAGS:
        raise errors.BadRequest(f"A project has at most {MAX_TAGS} tags.")
    kept = {row.name: row for row in project.tag_rows}
    project.tag_rows = [kept.get(tag) or models.ProjectTag(name=tag) for tag in tags]


def replace_tags(db, project_id, tags):
    """The project's tags become ``tags``; returns them."""
    with db.session() as session:
        project = records.get_or_404(session, models.Project, project_id, "project")
        _set_tags(project, tags)
        session.flush()
        return project.tags


def list_tags(db, project_id):
    with db.session() as session:
        return records.get_or_404(session, models.Project, project_id, "project").tags


def add_tag(db, project_id, tag):
    with db.session() as session:
        project = records.get_or_404(session, models.Project, project_id, "project")
        if tag not in project.tags:
            _set_tags(project, project.tags + [tag])


def _tag_or_404(project, tag):
    for row in project.tag_rows:
        if row.name == tag:
            return row
    raise errors.NotFound(f"Could not find project tag: {tag}.")


def check_tag(db, project_id, tag):
    with db.session() as session:
        _tag_or_404(records.get_or_404(session, models.Project, project_id, "project"), tag)


def delete_tag(db, project_id, tag):
    with db.session() as session:
        project = records.get_or_404(session, models.Project, project_id, "project")
        project.tag_rows.remove(_tag_or_404(project, tag))
