"""What a running app holds: settings, database, cache. Stored on ``app.extensions``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from patchwork.cache import AnswerCache
from patchwork.config import Settings
from patchwork.db import Database

EXTENSION_KEY = "patchwork"


@dataclass
class AppState:
    settings: Settings
    db: Database
    cache: AnswerCache


def app_state(app: Flask | None = None) -> AppState:
    state = (app or current_app).extensions[EXTENSION_KEY]
    assert isinstance(state, AppState)
    return state
