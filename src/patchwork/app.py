"""The Flask application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, request
from flask.json.provider import DefaultJSONProvider
from flask_cors import CORS
from sqlalchemy.engine import make_url
from werkzeug.middleware.proxy_fix import ProxyFix

from patchwork.api import register_api
from patchwork.archive.queue.staging import STAGING_ROOT
from patchwork.cache import open_cache
from patchwork.config import Settings, load_settings
from patchwork.db import Database
from patchwork.http.body_fields import MAX_JSON_BYTES
from patchwork.ops import register_ops
from patchwork.ops.converters import BoundedIntConverter
from patchwork.ops.settings import ops_settings
from patchwork.state import EXTENSION_KEY, AppState
from patchwork.storage import StorageError, open_storage
from patchwork.storage.base import SweepsTempFiles
from patchwork.web import register_web

log = logging.getLogger(__name__)

#: Bodies of every route but uploads: the JSON and form cap.
MAX_BODY_BYTES = MAX_JSON_BYTES

#: A temp file nobody wrote to for this long belongs to a dead upload. Generous on purpose:
#: removing a live upload's file would fail it, while a leftover only costs disk until the
#: next start (or the next claim of its job).
TEMP_FILE_MAX_IDLE_SECONDS = 6 * 3600


def create_app(settings: Settings | None = None) -> Flask:
    """Build an app; nothing here connects to the database or cache yet."""
    settings = settings or load_settings()
    prepare_instance(settings)
    app = Flask(__name__, instance_path=str(settings.instance_path))
    # Replaces "int" itself so every <int:...> route (and the rule names metrics key on) stays.
    app.url_map.converters["int"] = BoundedIntConverter
    app.json = BoundedJSONProvider(app)
    # Every body is capped while it is read, chunked ones too; the upload route raises the
    # cap to its own, much larger limit and streams.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions[EXTENSION_KEY] = AppState(
        settings=settings,
        db=Database(settings.database_url),
        cache=open_cache(settings.redis_url),
    )
    install_cors(app, settings.cors_origins)
    register_api(app)
    register_web(app)
    register_ops(app)  # logs, health, metrics, rate limits
    proxies = ops_settings(app).trusted_proxies
    if proxies:
        # Outside the request log, so rate limits (auth failures too) and logs see the client
        # behind the proxies. Only -For and -Proto: common nginx setups pass Host but let a
        # client's X-Forwarded-Host through, so trusting it would let anyone pick the host.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.before_request(refuse_nul_characters)
    sweep_dead_uploads(settings)
    return app


#: What flask_cors matches its resource patterns with: regexes anchored at the start only, so
#: ``/api/*`` is every path that begins with ``/api``.
CORS_PREFIXES = ("/api", "/media")
PRIVATE_NETWORK_REQUEST = "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"


def install_cors(app: Flask, origins: tuple[str, ...]) -> None:
    """flask_cors on /api and /media, with its answer to requests without ``Origin`` worked
    out once: it is the same for all of them (most API clients and same-origin pages send no
    Origin), and flask_cors working it out again cost a twentieth of a point read."""
    CORS(
        app,
        resources={r"/api/*": {"origins": list(origins)}, r"/media/*": {"origins": list(origins)}},
        expose_headers=["Content-Range", "Accept-Ranges", "Content-Length", "ETag"],
    )
    flask_cors_hook = app.after_request_funcs[None][-1]
    with app.test_request_context("/api/", method="GET"):
        plain = len(app.response_class().headers)
        probe = cast(Response, flask_cors_hook(app.response_class()))
        added = list(probe.headers.items())[plain:]

    def cors_for_requests_without_origin(response: Response) -> Response:
        # Registered after flask_cors's hook, so it runs just before it (Flask runs them in
        # reverse); flask_cors leaves a response that has Access-Control-Allow-Origin alone.
        # The environ, not request.headers: a missing header there costs a KeyError raised.
        environ = request.environ
        if (
            added
            and not environ.get("HTTP_ORIGIN")
            and request.method != "OPTIONS"
            and PRIVATE_NETWORK_REQUEST not in environ
            and request.path.startswith(CORS_PREFIXES)
            and not response.headers.getlist("Access-Control-Allow-Origin")
        ):
            for name, value in added:
                response.headers.add(name, value)
        return response

    app.after_request(cors_for_requests_without_origin)


# Query values that name a video, channel or format: never a NUL in a real one.
ID_ARGUMENTS = ("v", "id", "video_id", "channel_id", "format")


def refuse_nul_characters() -> Response | None:
    """No id holds a NUL, and PostgreSQL refuses NUL in text (a 500 otherwise): a path or an
    id argument with one names nothing, so it is a 404 before any handler sees it. Search
    words keep their own rule (a NUL is a blank)."""
    query = request.environ.get("QUERY_STRING", "")
    # An argument holds a NUL only if the query string does (raw or as %00): most requests
    # have neither, and parsing the arguments costs more than the rest of this check.
    maybe_nul = "%00" in query or "\x00" in query
    if "\x00" in request.path or (
        maybe_nul and any("\x00" in request.args.get(n, "") for n in ID_ARGUMENTS)
    ):
        response = jsonify({"error": "Not found: an id never contains a NUL character"})
        response.status_code = 404
        return response
    return None


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a body nested too deeply is invalid JSON (400), not a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            # ValueError is what Request.get_json turns into a 400.
            raise ValueError("JSON nested too deeply") from None


def sweep_dead_uploads(settings: Settings) -> int:
    """At start-up: remove local temp files of uploads that died with their server.

    Only in staging (where uploads stream for minutes) and only temp files idle for
    TEMP_FILE_MAX_IDLE_SECONDS: another server process may be writing one right now, and a
    live upload touches its temp file with every chunk.
    """
    url = settings.storage_url
    if urlsplit(url).scheme.lower() not in ("", "file"):
        return 0  # S3 never shows an unfinished upload as an object
    try:
        storage = open_storage(url)
        if not isinstance(storage, SweepsTempFiles):
            return 0
        removed = storage.remove_temp_files(f"{STAGING_ROOT}/", TEMP_FILE_MAX_IDLE_SECONDS)
    except (StorageError, ValueError) as exc:
        log.warning("could not sweep dead uploads from staging: %s", exc)
        return 0
    if removed:
        log.info("removed %d temp files of dead uploads from staging", removed)
    return removed


def prepare_instance(settings: Settings) -> None:
    """Create the instance folder (and the SQLite file's folder) on first run."""
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
