"""What a running app holds: settings, database, cache, storage. Kept on ``app.extensions``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from flask import Flask, current_app

from patchwork.archive.catalog.view_tally import ViewTally
from patchwork.archive.snapshots import SnapshotAnswers
from patchwork.cache import AnswerCache
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.storage import Storage
from patchwork.storage.legacy_layout import open_archive_storage

EXTENSION_KEY = "patchwork"
T = TypeVar("T")


@dataclass
class AppState:
    settings: Settings
    db: Database
    cache: AnswerCache
    _storage: Storage | None = field(default=None, repr=False)
    _answers: SnapshotAnswers | None = field(default=None, repr=False)
    _views: ViewTally | None = field(default=None, repr=False)
    # Guards the first making of each part above (made on first use, by whichever thread).
    _making: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def answers(self) -> SnapshotAnswers:
        """Summarising answers (patchwork.archive.snapshots), made on first use: over the
        cache as it is by then (ops wraps it to count hits)."""
        return self._made("_answers", lambda: SnapshotAnswers(self.db, self.cache))

    @answers.setter
    def answers(self, answers: SnapshotAnswers) -> None:
        self._answers = answers

    @property
    def views(self) -> ViewTally:
        """Views not written yet (patchwork.archive.catalog.view_tally), made in the process
        that counts them (a gunicorn worker, after the fork)."""
        return self._made("_views", lambda: ViewTally(self.db, self.settings.view_flush_seconds))

    @property
    def storage(self) -> Storage:
        """The archive's storage, opened on first use (start-up never waits on a bucket):
        Patchwork's layout, or an original bucket served in place."""
        return self._made("_storage", lambda: open_archive_storage(self.settings))

    def _made(self, name: str, make: Callable[[], T]) -> T:
        made: T | None = getattr(self, name)
        if made is None:
            with self._making:
                made = getattr(self, name)
                if made is None:
                    made = make()
                    setattr(self, name, made)
        return made


def app_state(app: Flask | None = None) -> AppState:
    state = (app or current_app).extensions[EXTENSION_KEY]
    assert isinstance(state, AppState)
    return state
