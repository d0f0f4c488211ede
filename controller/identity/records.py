"""Lookups and writes every identity operation shares, failing as Keystone does: 404 for
a missing object, 409 for a duplicate name (checked, and again at the flush for a race)."""
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from controller.api import errors
from controller.identity import models


def apply_filters(statement, model, filters):
    """Keystone's list filters: exact match on each of ``filters`` ({attribute: the query
    string's value}); ``enabled`` is a boolean."""
    for name, value in filters.items():
        column = getattr(model, name)
        if name == "enabled":
            statement = statement.where(column.is_(value.lower() not in ("0", "false", "no")))
        else:
            statement = statement.where(column == value)
    return statement


def get_or_404(session, model, object_id, kind):
    row = session.get(model, object_id)
    if row is None:
        raise errors.NotFound(f"Could not find {kind}: {object_id}.")
    return row


def domain_or_404(session, domain_id):
    """A user's domain must exist: Keystone answers its DomainNotFound (404)."""
    return get_or_404(session, models.Domain, domain_id, "domain")


def domain_or_400(session, domain_id):
    domain = session.get(models.Domain, domain_id)
    if domain is None:
        raise errors.BadRequest(f"Could not find domain: {domain_id}.")
    return domain


def conflict_on_duplicate(session, kind, name, statement):
    if session.scalar(statement) is not None:
        raise errors.Conflict(f"Conflict occurred attempting to store {kind} - Duplicate "
                              f"entry found with name {name}.")


def flush(session, kind):
    """Flush, turning a unique-constraint race into the same 409 as the check above."""
    try:
        session.flush()
    except IntegrityError:
        raise errors.Conflict(f"Conflict occurred attempting to store {kind} - "
                              f"Duplicate entry.") from None


def list_rows(db, model, filters, *order_by):
    """The rows of ``model`` matching Keystone's list ``filters``, in order."""
    with db.session() as session:
        return session.scalars(apply_filters(select(model), model, filters)
                               .order_by(*order_by)).all()


def show(db, model, object_id, kind):
    """The row ``object_id`` of ``model``; 404 naming ``kind`` when there is none."""
    with db.session() as session:
        return get_or_404(session, model, object_id, kind)


def delete_assignments(session, *, actor=None, target=None):
    """Delete, in ``session``, the role assignments of ``actor`` or on ``target`` (each an
    (type, id) pair): Keystone's assignments go with their user, group, project or domain."""
    A = models.Assignment
    statement = delete(A)
    if actor is not None:
        statement = statement.where(A.actor_type == actor[0], A.actor_id == actor[1])
    if target is not None:
        statement = statement.where(A.target_type == target[0], A.target_id == target[1])
    session.execute(statement)
