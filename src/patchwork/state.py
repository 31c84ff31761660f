"""What a running app holds: settings, database, cache, storage. Kept on ``app.extensions``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import Flask, current_app

from patchwork.archive.catalog.view_tally import ViewTally
from patchwork.archive.snapshots import SnapshotAnswers
from patchwork.cache import AnswerCache
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.storage import Storage
from patchwork.storage.legacy_layout import open_archive_storage

EXTENSION_KEY = "patchwork"


@dataclass
class AppState:
    settings: Settings
    db: Database
    cache: AnswerCache
    _storage: Storage | None = field(default=None, repr=False)
    _storage_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _answers: SnapshotAnswers | None = field(default=None, repr=False)
    _answers_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _views: ViewTally | None = field(default=None, repr=False)

    @property
    def answers(self) -> SnapshotAnswers:
        """Summarising answers (patchwork.archive.snapshots), made on first use: over the
        cache as it is by then (ops wraps it to count hits)."""
        if self._answers is None:
            with self._answers_lock:
                if self._answers is None:
                    self._answers = SnapshotAnswers(self.db, self.cache)
        return self._answers

    @answers.setter
    def answers(self, answers: SnapshotAnswers) -> None:
        self._answers = answers

    @property
    def views(self) -> ViewTally:
        """Views not written yet (patchwork.archive.catalog.view_tally), made in the process
        that counts them (a gunicorn worker, after the fork)."""
        if self._views is None:
            with self._answers_lock:
                if self._views is None:
                    self._views = ViewTally(self.db, self.settings.view_flush_seconds)
        return self._views

    @property
    def storage(self) -> Storage:
        """The archive's storage, opened on first use (start-up never waits on a bucket)."""
        if self._storage is None:
            with self._storage_lock:
                if self._storage is None:
                    # Patchwork's layout, or an original bucket served in place.
                    self._storage = open_archive_storage(self.settings)
        return self._storage


def app_state(app: Flask | None = None) -> AppState:
    state = (app or current_app).extensions[EXTENSION_KEY]
    assert isinstance(state, AppState)
    return state
