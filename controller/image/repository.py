"""Database queries of the image service: who sees which images, listing, usage.

A caller sees its project's images, public and community images, and shared images its
project is a member of; an admin sees every image. Everything else answers 404, so
another project's private images are indistinguishable from missing ones.
"""
import uuid

from sqlalchemy import and_, exists, false, func, literal, or_, select, true

from controller.api import errors
from controller.image import status
from controller.image.models import Image, ImageMember, ImageProperty, ImageTag

# Bytes counted against a project's quota: data stored or being stored.
USAGE_STATUSES = (status.ACTIVE, status.SAVING, status.IMPORTING, status.DEACTIVATED)

# Nullable sort columns compare through a stand-in so keyset pagination stays exact.
_NULL_STANDINS = {"name": "", "owner": "", "container_format": "", "disk_format": "",
                  "size": -1, "virtual_size": -1}


def _membership(auth, statuses=None):
    condition = and_(ImageMember.image_id == Image.id, ImageMember.member == auth.project_id)
    if statuses is not None:
        condition = and_(condition, ImageMember.status.in_(statuses))
    return exists().where(condition)


def visible(auth):
    """SQL condition: the caller may see the image (show, download, members)."""
    if auth.is_admin:
        return true()
    return or_(Image.owner == auth.project_id,
               Image.visibility.in_(("public", "community")),
               and_(Image.visibility == "shared", _membership(auth)))


def get_image(session, auth, image_id, for_update=False):
    """The image ``image_id`` if the caller may see it, else NotFound."""
    try:
        uuid.UUID(image_id)
    except ValueError:
        raise errors.NotFound(f"No image found with ID {image_id}.")
    query = select(Image).where(Image.id == image_id, visible(auth))
    if for_update:
        query = query.with_for_update()
    image = session.scalars(query).one_or_none()
    if image is None:
        raise errors.NotFound(f"No image found with ID {image_id}.")
    return image


def _listed(auth, query):
    """SQL condition: the image belongs in the caller's list for this visibility filter."""
    member_statuses = None if query.member_status == "all" else (query.member_status,)
    shared_with_caller = and_(Image.visibility == "shared",
                              _membership(auth, member_statuses))
    own = true() if auth.is_admin else Image.owner == auth.project_id
    default = or_(own, Image.visibility == "public", shared_with_caller)
    if query.visibility is None:
        return default
    if query.visibility == "all":
        return or_(default, Image.visibility == "community")
    if query.visibility in ("public", "community"):
        return Image.visibility == query.visibility
    if query.visibility == "private":
        return and_(Image.visibility == "private", own)
    return and_(Image.visibility == "shared", or_(own, shared_with_caller))


def _sort_column(key):
    column = getattr(Image, key)
    if key == "updated_at":
        return func.coalesce(Image.updated_at, Image.created_at)
    if key in _NULL_STANDINS:
        return func.coalesce(column, literal(_NULL_STANDINS[key]))
    return column


def _after_marker(sort, marker_values):
    """Rows strictly after the marker in the (total) sort order."""
    clauses = []
    for index, (key, direction) in enumerate(sort):
        column = _sort_column(key)
        value = marker_values[index]
        beyond = column > value if direction == "asc" else column < value
        equal_before = [_sort_column(k) == marker_values[i]
                        for i, (k, _) in enumerate(sort[:index])]
        clauses.append(and_(*equal_before, beyond))
    return or_(*clauses)


def list_images(session, auth, query):
    """One page of images for a ``listing.ListQuery``; returns (images, more_follow)."""
    statement = select(Image).where(_listed(auth, query),
                                    Image.os_hidden == (true() if query.os_hidden
                                                        else false()))
    for name, values in query.equals.items():
        statement = statement.where(getattr(Image, name).in_(values))
    for name, operator, moment in query.time_ranges:
        column = _sort_column(name)
        statement = statement.where({"eq": column == moment, "neq": column != moment,
                                     "gt": column > moment, "gte": column >= moment,
                                     "lt": column < moment, "lte": column <= moment}[operator])
    if query.size_min is not None:
        statement = statement.where(Image.size >= query.size_min)
    if query.size_max is not None:
        statement = statement.where(Image.size <= query.size_max)
    for name, value in query.properties.items():
        statement = statement.where(exists().where(
            ImageProperty.image_id == Image.id, ImageProperty.name == name,
            ImageProperty.value == value))
    for tag in query.tags:
        statement = statement.where(exists().where(ImageTag.image_id == Image.id,
                                                   ImageTag.value == tag))
    if query.marker is not None:
        values = session.execute(
            select(*(_sort_column(key) for key, _ in query.sort))
            .where(Image.id == query.marker, visible(auth))).one_or_none()
        if values is None:
            raise errors.BadRequest(f"Invalid marker: image {query.marker} could not be "
                                    f"found.")
        statement = statement.where(_after_marker(query.sort, values))
    order = [_sort_column(key).asc() if direction == "asc" else _sort_column(key).desc()
             for key, direction in query.sort]
    rows = session.scalars(statement.order_by(*order).limit(query.limit + 1)).all()
    return rows[:query.limit], len(rows) > query.limit


def project_usage(session, project_id, exclude=None):
    """Bytes of image data the project holds, leaving out image ``exclude``."""
    statement = select(func.coalesce(func.sum(Image.size), 0)).where(
        Image.owner == project_id, Image.status.in_(USAGE_STATUSES))
    if exclude is not None:
        statement = statement.where(Image.id != exclude)
    return session.scalar(statement)
