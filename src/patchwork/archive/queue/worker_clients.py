"""Which client claims jobs: Patchwork's worker, or one that cannot complete them.

Patchwork's worker names itself with ``X-Patchwork-Worker: <version>`` on every call. The
original Patchwork-Worker sends no such header: it stores results by writing MySQL and running
rclone, so a job handed to it would only stay leased, and a delete job would make it remove
the files from the bucket while the archive keeps listing the video. It is therefore told, not
fed (docs/decisions/0111-original-worker-is-told-not-fed.md), and its status row says why.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import or_, select, update

from patchwork.archive.queue.heartbeats import MAX_NAME_LENGTH
from patchwork.archive.queue.records import Actor
from patchwork.db import Database
from patchwork.db.dialect import insert_ignoring_duplicates
from patchwork.db.models import Worker
from patchwork.db.retry import retrying
from patchwork.db.types import utcnow
from patchwork.errors import InvalidInput

HEADER = "X-Patchwork-Worker"
MAX_CLIENT_LENGTH = 64
# Spaces are refused in the header, so no client can name itself like this marker.
INCOMPATIBLE = "original worker (incompatible)"
_CLIENT = re.compile(rf"[!-~]{{1,{MAX_CLIENT_LENGTH}}}")

FIX = (
    "This archive hands jobs only to Patchwork's worker, which sends the "
    f"{HEADER} header; the original Patchwork-Worker cannot complete them (it writes to MySQL "
    "and the bucket itself). Install Patchwork from its checkout (pip install -e '.[worker]', "
    "see the README's Running workers) and run `patchwork worker` in the folder of your "
    "config.ini (or `patchwork worker --config PATH`): it reads [queue] base_url, "
    "worker_password and worker_name (and [youtube] cookies) from it unchanged."
)
REASON = (
    f"Asked for a job without the {HEADER} header, as the original Patchwork-Worker does, "
    "so it is given none. Run `patchwork worker` with the same config.ini instead."
)


class InvalidClient(InvalidInput, ValueError):
    """The header is present but not a short printable name."""


def parse_client(raw: str | None) -> str | None:
    """The header's value, or None when it is missing or blank (a client to refuse)."""
    value = (raw or "").strip()
    if not value:
        return None
    if not _CLIENT.fullmatch(value):
        raise InvalidClient(
            f"{HEADER} must be 1 to {MAX_CLIENT_LENGTH} printable ASCII characters without spaces"
        )
    return value


def mark_incompatible(
    db: Database, actor: Actor, owner: str | None, *, now: datetime | None = None
) -> None:
    """Mark the status row of a claimant without the header as incompatible.

    The row is the one a claim would show its job on (the token's row named ``owner``, else
    its most recently seen one), preferring one no Patchwork worker heartbeats as, so a token
    shared with one does not mark the wrong row; a claimant with no heartbeat yet gets a row
    of its own, so that /status can show it. Patchwork's worker records its version through
    its heartbeats (:func:`heartbeats.record_heartbeat`), which clears this mark: a claim
    with the header costs no query here.
    """
    now = now or utcnow()
    name = (owner or actor.name).strip()[:MAX_NAME_LENGTH] or actor.name
    query = (
        select(Worker.id, Worker.client)
        .where(Worker.token_id == actor.token_id)
        .order_by(
            (Worker.name == name).desc(),
            or_(Worker.client.is_(None), Worker.client == INCOMPATIBLE).desc(),
            Worker.last_seen_at.desc(),
            Worker.id,
        )
        .limit(1)
    )
    with db.reading() as session:
        found = session.execute(query).first()
    if found is not None and found.client == INCOMPATIBLE:
        return  # the common case, refused like the last time: nothing to write

    def run() -> None:
        with db.transaction() as session:
            if found is not None:
                session.execute(
                    update(Worker).where(Worker.id == found.id).values(client=INCOMPATIBLE)
                )
                return
            row = {
                "name": name,
                "token_id": actor.token_id,
                "status": None,
                "last_seen_at": now,
                "client": INCOMPATIBLE,
            }
            insert_ignoring_duplicates(session, Worker.__table__, [row])  # type: ignore[arg-type]
            # A first heartbeat racing this may have inserted the row: mark it all the same.
            session.execute(
                update(Worker)
                .where(Worker.token_id == actor.token_id, Worker.name == name)
                .values(client=INCOMPATIBLE)
            )

    retrying(run)
