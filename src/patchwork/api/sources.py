"""Subscriptions API: /api/sources, the sources workers scan on a schedule (issue 15).

Reading sources takes a queue token (or admin); adding, changing, removing and scanning them
takes an admin token, since a source queues archive jobs on its own, for ever. Each handler
reads the body (:mod:`patchwork.http.source_fields`), calls one service of
:mod:`patchwork.archive.sources` and shapes its answer with
:func:`~patchwork.archive.sources.catalog.describe`; refusals reach the client through the one
error handler, except that an already followed URL also names the source that follows it.
"""

from __future__ import annotations

from typing import Any, Final

from flask import Blueprint

from patchwork.archive.sources import catalog, listing, scheduling
from patchwork.archive.sources.catalog import MAX_LISTED
from patchwork.db.types import MAX_ID
from patchwork.http import source_fields
from patchwork.http.auth import ADMIN, current_actor, require_role
from patchwork.http.body_fields import body_fields
from patchwork.http.params import int_arg
from patchwork.state import app_state

bp = Blueprint("sources", __name__, url_prefix="/api/sources")

READ_ROLES: Final = ("queue",)
DEFAULT_LISTED: Final = 100
SCAN_FLAGS: Final = frozenset({"full", "retry_failed"})


@bp.get("")
@require_role(*READ_ROLES)
def list_sources() -> dict[str, Any]:
    after = int_arg("after", 0, low=0, high=MAX_ID)
    limit = int_arg("limit", DEFAULT_LISTED, low=1, high=MAX_LISTED)
    db = app_state().db
    page = catalog.page_of_sources(db, after_id=after, limit=limit)
    return {
        "sources": [listing.describe(info) for info in page.sources],
        "next_after": page.next_after,
        "totals": catalog.source_totals(db),
    }


@bp.post("")
@require_role(ADMIN)
def add_source() -> tuple[dict[str, Any], int]:
    spec = source_fields.spec_from_fields(body_fields(), creating=True)
    info = catalog.add_source(app_state().db, spec, current_actor())
    return listing.describe(info), 201


@bp.get("/<int:source_id>")
@require_role(*READ_ROLES)
def get_source(source_id: int) -> dict[str, Any]:
    return listing.describe(catalog.get_source(app_state().db, source_id))


@bp.patch("/<int:source_id>")
@require_role(ADMIN)
def change_source(source_id: int) -> dict[str, Any]:
    # Filters and options given are merged onto the current ones under the source's lock.
    spec = source_fields.spec_from_fields(body_fields(), creating=False)
    return listing.describe(catalog.change_source(app_state().db, source_id, spec))


@bp.delete("/<int:source_id>")
@require_role(ADMIN)
def remove_source(source_id: int) -> dict[str, Any]:
    catalog.remove_source(app_state().db, source_id)
    return {"deleted": source_id}


@bp.post("/<int:source_id>/scan")
@require_role(ADMIN)
def scan_source(source_id: int) -> tuple[dict[str, Any], int]:
    asked = source_fields.flags(body_fields(), SCAN_FLAGS)
    db = app_state().db
    job_ids = scheduling.request_scan(
        db, source_id, current_actor(), full=asked["full"], retry_failed=asked["retry_failed"]
    )
    return {"job_ids": job_ids, "source": listing.describe(catalog.get_source(db, source_id))}, 202


@bp.post("/scan")
@require_role(ADMIN)
def scan_all() -> tuple[dict[str, Any], int]:
    asked = source_fields.flags(body_fields(), SCAN_FLAGS)
    job_ids = scheduling.request_scan(
        app_state().db,
        None,
        current_actor(),
        full=asked["full"],
        retry_failed=asked["retry_failed"],
    )
    return {"job_ids": job_ids}, 202
