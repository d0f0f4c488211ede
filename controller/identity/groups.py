"""Groups of users in a domain: created, changed and deleted each in one transaction. A
group's role grants reach its members; membership changes show at their next token
validation."""
from sqlalchemy import select

from controller.api import errors
from controller.identity import models, records


def _duplicate_check(session, name, domain_id, exclude_id=None):
    statement = select(models.Group.id).where(models.Group.name == name,
                                              models.Group.domain_id == domain_id)
    if exclude_id is not None:
        statement = statement.where(models.Group.id != exclude_id)
    records.conflict_on_duplicate(session, "group", f"{name} in domain {domain_id}",
                                  statement)


def create_group(db, name, domain_id, description, extra):
    group = models.Group(name=name, domain_id=domain_id, description=description,
                         extra=extra)
    with db.session() as session:
        records.domain_or_404(session, domain_id)
        _duplicate_check(session, name, domain_id)
        session.add(group)
        records.flush(session, "group")
    return group


def list_groups(db, filters, user_id=None):
    """Groups matching ``filters``; only those ``user_id`` belongs to (404 if no user)."""
    statement = records.apply_filters(select(models.Group), models.Group, filters)
    with db.session() as session:
        if user_id is not None:
            records.get_or_404(session, models.User, user_id, "user")
            statement = statement.where(models.Group.id.in_(
                select(models.GroupMember.group_id)
                .where(models.GroupMember.user_id == user_id)))
        return session.scalars(statement.order_by(models.Group.name)).all()


def update_group(db, group_id, changes):
    with db.session() as session:
        group = records.get_or_404(session, models.Group, group_id, "group")
        if changes.get("domain_id", group.domain_id) != group.domain_id:
            raise errors.BadRequest("A group cannot move to another domain.")
        if "name" in changes:
            group.name = changes["name"]
            _duplicate_check(session, group.name, group.domain_id, group.id)
        if "description" in changes:
            group.description = changes["description"]
        if "extra" in changes:
            group.extra = {**(group.extra or {}), **changes["extra"]}
        records.flush(session, "group")
    return group


def delete_group(db, group_id):
    with db.session() as session:
        session.delete(records.get_or_404(session, models.Group, group_id, "group"))
        records.delete_assignments(session, actor=("group", group_id))


def _member(session, group_id, user_id):
    records.get_or_404(session, models.Group, group_id, "group")
    records.get_or_404(session, models.User, user_id, "user")
    return session.get(models.GroupMember, (group_id, user_id))


def list_members(db, group_id, filters):
    with db.session() as session:
        records.get_or_404(session, models.Group, group_id, "group")
        statement = records.apply_filters(select(models.User), models.User, filters)
        return session.scalars(
            statement.where(models.User.id.in_(
                select(models.GroupMember.user_id)
                .where(models.GroupMember.group_id == group_id)))
            .order_by(models.User.name)).all()


def add_member(db, group_id, user_id):
    """Put the user in the group (again: no change)."""
    with db.session() as session:
        if _member(session, group_id, user_id) is None:
            session.add(models.GroupMember(group_id=group_id, user_id=user_id))


def check_member(db, group_id, user_id):
    with db.session() as session:
        if _member(session, group_id, user_id) is None:
            raise errors.NotFound(f"User '{user_id}' not found in group '{group_id}'")


def remove_member(db, group_id, user_id):
    with db.session() as session:
        member = _member(session, group_id, user_id)
        if member is None:
            raise errors.NotFound(f"User '{user_id}' not found in group '{group_id}'")
        session.delete(member)
