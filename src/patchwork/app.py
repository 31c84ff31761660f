"""The Flask application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_cors import CORS
from sqlalchemy.engine import make_url

from patchwork.api import register_api
from patchwork.cache import open_cache
from patchwork.config import Settings, load_settings
from patchwork.db import Database
from patchwork.ops import register_ops
from patchwork.state import EXTENSION_KEY, AppState
from patchwork.web import register_web


def create_app(settings: Settings | None = None) -> Flask:
    """Build an app; nothing here connects to the database or cache yet."""
    settings = settings or load_settings()
    prepare_instance(settings)
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config["MAX_CONTENT_LENGTH"] = None  # uploads are limited per route, streamed
    app.extensions[EXTENSION_KEY] = AppState(
        settings=settings,
        db=Database(settings.database_url),
        cache=open_cache(settings.redis_url),
    )
    CORS(
        app,
        resources={
            r"/api/*": {"origins": list(settings.cors_origins)},
            r"/media/*": {"origins": list(settings.cors_origins)},
        },
        expose_headers=["Content-Range", "Accept-Ranges", "Content-Length", "ETag"],
    )
    register_api(app)
    register_web(app)
    register_ops(app)  # logs, health, metrics, rate limits, OpenAPI
    return app


def prepare_instance(settings: Settings) -> None:
    """Create the instance folder (and the SQLite file's folder) on first run."""
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
