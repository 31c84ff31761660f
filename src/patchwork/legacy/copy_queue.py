"""Copiers of the queue tables: tokens, archive_queue → jobs, archive_log → events, workers.

Raw secrets never leave this module: a legacy token becomes its SHA-256, and every place the
original stored a secret (``archive_log.user``, ``worker_status.token``) becomes the matching
token's id, or the actor name ``legacy`` when no token has that secret.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from patchwork.archive.ingest.targets import Target
from patchwork.archive.queue.lifecycle import target_for
from patchwork.archive.queue.records import InvalidRequest
from patchwork.archive.queue.states import ACTIVE_STATES, JobEventName, JobMode, JobState
from patchwork.archive.tokens import MAX_SECRET_LENGTH, hash_secret
from patchwork.config import redact_url
from patchwork.db.models import Job, JobEvent, Token, Worker
from patchwork.db.types import utcnow
from patchwork.legacy.report import ImportReport, TableReport
from patchwork.legacy.source import LegacySource
from patchwork.legacy.writer import Progress, Writer

LEGACY_ACTOR = "legacy"
TOKEN_TABLES = (("archive_queue_auth", "queue"), ("archive_worker_auth", "worker"))
ADMIN = "admin"

#: SHA-256 of a secret → (token id, token name); built once the tokens are copied.
TokenIndex = dict[str, tuple[int, str]]


def copy_tokens(
    source: LegacySource, writer: Writer, report: ImportReport, tick: Progress
) -> TokenIndex:
    for table, role in TOKEN_TABLES:
        if not source.has(table):
            continue
        rep = report.table(table)
        auth = source.table(table)
        for page in source.pages(select(auth.c.id, auth.c.token), auth.c.id):
            rep.read += len(page)
            with writer.batch() as session:
                for legacy_id, secret in page:
                    name = f"legacy-{role}-{legacy_id}"
                    if not secret:
                        rep.skip("no token (NULL or empty)", name)
                        continue
                    if len(secret) > MAX_SECRET_LENGTH:
                        rep.skip("token longer than 512 characters", name, error=True)
                        continue
                    _upsert_token(session, rep, name, role, hash_secret(secret))
            tick(len(page))
    with writer.batch() as session:
        return {t.secret_sha256: (t.id, t.name) for t in session.scalars(select(Token))}


def _upsert_token(session: Session, rep: TableReport, name: str, role: str, digest: str) -> None:
    same_secret = session.scalars(select(Token).where(Token.secret_sha256 == digest)).first()
    if same_secret is not None:
        if same_secret.name != name:
            rep.merge(f"same secret as token {same_secret.name}: one token", name)
        if same_secret.role not in (role, ADMIN):
            # The original checked each table separately: a secret in both did both jobs.
            same_secret.role = ADMIN
            rep.written += 1
        return
    named = session.scalars(select(Token).where(Token.name == name)).first()
    if named is None:
        session.add(Token(name=name, role=role, secret_sha256=digest))
    else:
        named.secret_sha256 = digest  # the original's secret was changed since the last run
    session.flush()
    rep.written += 1


def copy_queue(source: LegacySource, writer: Writer, report: ImportReport, tick: Progress) -> None:
    rep = report.table("archive_queue")
    q = source.table("archive_queue")
    for page in source.pages(select(q.c.id, q.c.url, q.c.mode), q.c.id):
        rep.read += len(page)
        wanted: list[tuple[int, Target, JobMode]] = []
        for legacy_id, url, raw_mode in page:
            if url is None or not str(url).strip():
                rep.skip("NULL or empty url (it blocked the original's queue)", f"id {legacy_id}")
                continue
            mode = _legacy_mode(raw_mode)
            if mode is None:
                # The original worker ran a NULL or unknown mode as 0 (archive).
                rep.note(f"mode {raw_mode!r} queued as 0 (archive)", f"id {legacy_id}")
                mode = JobMode.ARCHIVE
            try:
                wanted.append((legacy_id, target_for(str(url), mode), mode))
            except InvalidRequest as exc:
                # The report redacts too, but only after this cut, which could keep half a
                # password: so redact first.
                shown = redact_url(str(url))[:60]
                rep.skip(f"not queueable: {exc}", f"id {legacy_id}: {shown}", error=True)
        with writer.batch() as session:
            keys = [t.key for _, t, _ in wanted]
            waiting = set(
                session.scalars(
                    select(Job.target).where(Job.target.in_(keys), Job.state.in_(ACTIVE_STATES))
                )
            )
            now = utcnow()
            for legacy_id, target, mode in wanted:
                if target.key in waiting:
                    rep.merge("same target already queued", f"id {legacy_id}: {target.key}")
                    continue
                waiting.add(target.key)
                job = Job(
                    url=target.url,
                    target=target.key,
                    mode=mode.value,  # a number: PyMySQL would send an IntEnum quoted ('2')
                    state=JobState.QUEUED,
                    available_at=now,
                    created_at=now,
                    updated_at=now,
                )
                session.add(job)
                session.flush()
                _event(
                    session,
                    job.id,
                    JobEventName.IMPORTED,
                    None,
                    LEGACY_ACTOR,
                    now,
                    f"archive_queue #{legacy_id}",
                )
                rep.written += 1
        tick(len(page))


def copy_log(
    source: LegacySource,
    writer: Writer,
    report: ImportReport,
    tick: Progress,
    tokens: TokenIndex,
    tz: tzinfo,
) -> None:
    rep = report.table("archive_log")
    log = source.table("archive_log")
    query = select(log.c.id, log.c.url, log.c.user, log.c.status, log.c.timestamp)
    for page in source.pages(query, log.c.id):
        rep.read += len(page)
        with writer.batch() as session:
            for legacy_id, url, user, status, stamp in page:
                message = f"archive_log #{legacy_id}: {status or 'no status'}"
                target = _log_target(url)
                if target is None:
                    rep.skip("url empty or not archivable", f"id {legacy_id}")
                    continue
                when = parse_legacy_time(stamp, tz)
                job = _job_for(session, target, status, when)
                seen = session.scalar(
                    select(JobEvent.id).where(
                        JobEvent.job_id == job.id,
                        JobEvent.event == JobEventName.QUEUED,
                        JobEvent.message == message,
                    )
                )
                if seen is not None:
                    continue
                token_id, actor = (
                    tokens.get(hash_secret(user), (None, LEGACY_ACTOR))
                    if user
                    else (None, LEGACY_ACTOR)
                )
                if user and token_id is None:
                    rep.note("queued with a secret no token has: actor 'legacy'", f"id {legacy_id}")
                _event(
                    session,
                    job.id,
                    JobEventName.QUEUED,
                    token_id,
                    actor,
                    when or job.created_at,
                    message,
                )
                if job.created_by_token_id is None and token_id is not None:
                    job.created_by_token_id = token_id
                rep.written += 1
        tick(len(page))


def _legacy_mode(raw: Any) -> JobMode | None:
    """The original's ``archive_queue.mode`` as a mode (None: NULL or one it never had)."""
    try:
        return JobMode(raw)  # by value: 1, 1.0 and Decimal(1) are all mode 1, as before
    except ValueError:
        return None


def _log_target(url: Any) -> Target | None:
    if url is None or not str(url).strip():
        return None
    for mode in (JobMode.ARCHIVE, JobMode.DELETE):  # a URL, or a bare video id
        try:
            return target_for(str(url), mode)
        except InvalidRequest:
            continue
    return None


def _job_for(session: Session, target: Target, status: str | None, when: datetime | None) -> Job:
    """The queued job for the target, else the history job the import made for it."""
    jobs = list(session.scalars(select(Job).where(Job.target == target.key).order_by(Job.id)))
    active = [j for j in jobs if j.state in ACTIVE_STATES]
    if active or jobs:
        return (active or jobs)[-1]
    # Not queued any more: the original handed it out ("Processed") or someone removed it.
    # History, not a move: the original finished these itself, so the row is written in its
    # final state (the one job creation outside enqueue with a state other than queued).
    state = JobState.DONE if (status or "").lower() == "processed" else JobState.CANCELLED
    stamp = when or utcnow()
    job = Job(
        url=target.url,
        target=target.key,
        mode=(JobMode.DELETE if target.key.startswith("video:") else JobMode.ARCHIVE).value,
        state=state,
        available_at=stamp,
        created_at=stamp,
        updated_at=stamp,
        finished_at=stamp,
        last_error=None,
    )
    session.add(job)
    session.flush()
    return job


def _event(
    session: Any,
    job_id: int,
    event: JobEventName,
    token_id: int | None,
    actor: str,
    when: datetime,
    message: str,
) -> None:
    session.add(
        JobEvent(
            job_id=job_id,
            event=event,
            actor_token_id=token_id,
            actor_name=actor,
            message=message,
            created_at=when,
        )
    )


def parse_legacy_time(value: Any, tz: tzinfo) -> datetime | None:
    """``YYYY-MM-DD HH:MM:SS[.ffffff]`` in the original server's local time, as UTC."""
    if isinstance(value, datetime):
        stamp = value
    else:
        try:
            stamp = datetime.fromisoformat(str(value or "").strip())
        except ValueError:
            return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=tz)
    return stamp.astimezone(UTC)


def copy_workers(
    source: LegacySource,
    writer: Writer,
    report: ImportReport,
    tick: Progress,
    tokens: TokenIndex,
    tz: tzinfo,
) -> None:
    rep = report.table("worker_status")
    w = source.table("worker_status")
    query = select(w.c.id, w.c.name, w.c.token, w.c.status, w.c.timestamp)
    for page in source.pages(query, w.c.id):
        rep.read += len(page)
        with writer.batch() as session:
            for legacy_id, name, secret, status, stamp in page:
                token_id, token_name = (
                    tokens.get(hash_secret(secret), (None, "")) if secret else (None, "")
                )
                if secret and token_id is None:
                    rep.note("token not in archive_worker_auth: no token linked", f"id {legacy_id}")
                name = (name or "").strip()[:255] or token_name or f"legacy-worker-{legacy_id}"
                seen = parse_legacy_time(stamp, tz)
                where = (
                    Worker.token_id.is_(None) if token_id is None else Worker.token_id == token_id
                )
                row = session.scalars(select(Worker).where(where, Worker.name == name)).first()
                if row is None:
                    session.add(
                        Worker(
                            name=name,
                            token_id=token_id,
                            status=status,
                            last_seen_at=seen or utcnow(),
                        )
                    )
                    rep.written += 1
                elif seen is not None and seen > row.last_seen_at:
                    row.status, row.last_seen_at = status, seen
                    rep.written += 1
        tick(len(page))
