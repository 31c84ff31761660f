"""Counting and slicing result pages the same way for every listing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from patchwork.archive.catalog.records import Page

T = TypeVar("T")


def paginate(
    session: Session,
    query: Select[Any],
    *,
    page: int,
    per_page: int,
    convert: Callable[[Any], T],
) -> Page[T]:
    """Count with ``COUNT(*)`` (never by fetching rows), then fetch one page if it exists."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    offset = (page - 1) * per_page
    if offset >= total:
        return Page(items=[], total=total, page=page, per_page=per_page)
    rows = session.scalars(query.limit(per_page).offset(offset)).all()
    return Page(items=[convert(row) for row in rows], total=total, page=page, per_page=per_page)
