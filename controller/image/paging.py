"""Ordered pages of a listing, as Glance pages them: ``sort_key``, ``sort_dir``,
``limit`` and a ``marker`` naming the last row of the previous page."""
import dataclasses

from sqlalchemy import and_, or_


@dataclasses.dataclass
class Page:
    """Order and page of a listing (Glance: ``sort_key``, ``sort_dir``, ``limit``,
    ``marker``)."""
    sort_key: str = "created_at"
    sort_dir: str = "desc"
    limit: int | None = None
    marker: str | None = None


def keyset_page(session, query, model, page, unique_column, marker_row):
    """Rows of ``query`` in ``page``'s order (ties broken by ``unique_column``), after
    ``marker_row``, at most ``page.limit``."""
    column = getattr(model, page.sort_key)
    descending = page.sort_dir == "desc"
    if marker_row is not None:
        value, tie = getattr(marker_row, page.sort_key), getattr(marker_row, unique_column.key)
        after = (column < value) if descending else (column > value)
        same = (unique_column < tie) if descending else (unique_column > tie)
        query = query.where(or_(after, and_(column == value, same)))
    order = [column.desc(), unique_column.desc()] if descending else [column, unique_column]
    query = query.order_by(*order)
    if page.limit is not None:
        query = query.limit(page.limit)
    return list(session.scalars(query))
