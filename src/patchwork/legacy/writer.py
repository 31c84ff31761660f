"""Where copied rows go: one target transaction per batch, or one rolled-back one (dry run)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from patchwork.db import Database

Progress = Callable[[int], None]


class Writer:
    """Hands out a session per batch.

    A real run commits each batch (a crash loses at most one batch, and re-running
    continues). A dry run writes into a single transaction that is rolled back at the end,
    so later tables still see the rows earlier ones would have written and the counts are
    exactly those of a real run.
    """

    def __init__(self, db: Database, *, dry_run: bool = False) -> None:
        self.db = db
        self.dry_run = dry_run
        self._session: Session | None = None
        #: Copied onto every batch's ``session.info`` (e.g. to defer the search index).
        self.info: dict[str, object] = {}

    @contextmanager
    def batch(self) -> Iterator[Session]:
        if not self.dry_run:
            with self.db.transaction() as session:
                session.info.update(self.info)
                yield session
            return
        if self._session is None:
            self._session = Session(self.db.engine, expire_on_commit=False)
            self._session.begin()
        session = self._session
        session.info.update(self.info)
        yield session
        session.flush()
        session.expunge_all()  # flat memory: the identity map must not grow with the run

    def close(self) -> None:
        if self._session is not None:
            self._session.rollback()
            self._session.close()
            self._session = None
