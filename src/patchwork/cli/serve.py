"""``patchwork serve``: gunicorn in production, Flask's reloader with ``--dev``."""

from __future__ import annotations

import shutil
from typing import Any

import click
from flask import Flask
from gunicorn.app.base import BaseApplication

from patchwork.app import create_app
from patchwork.cli.context import BadSetting, database_or_exit, settings_or_exit, storage_or_exit
from patchwork.config import ConfigError, Settings
from patchwork.ops import metrics


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--threads",
    default=64,  # 32 slow viewers at ~1 MB/s kept API p99 at 20 s with 16; 5 ms with 64
    show_default=True,
    type=click.IntRange(1, 256),
    help="Threads per worker process; slow video downloads each hold one.",
)
@click.option("--dev", is_flag=True, help="Flask's development server with the reloader.")
def serve(host: str, port: int, workers: int, threads: int, dev: bool) -> None:
    """Serve the archive over HTTP."""
    settings = settings_or_exit()
    database_or_exit(settings).dispose()
    # Opened, not asked for anything: a storage URL its backend cannot read stops start-up,
    # a bucket that is down does not (/readyz reports it).
    storage_or_exit(settings, check=False)
    if dev:
        _app_or_exit(settings).run(host=host, port=port, debug=True, use_reloader=True)
        return
    # Before the app exists: its metrics must be made in multi-process mode (see ops/metrics.py).
    metrics_dir, made_here = metrics.prepare_multiprocess()
    try:
        app = _app_or_exit(settings)
    except BadSetting:
        if made_here:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        raise

    def on_exit(_server: Any) -> None:
        if made_here:
            shutil.rmtree(metrics_dir, ignore_errors=True)

    click.echo(f"Serving on http://{host}:{port} ({settings.redacted_database_url()})", err=True)
    # Threaded workers: a viewer streaming a video for minutes holds a thread, not a process,
    # so API requests keep being answered while many clients stream.
    _Gunicorn(
        app,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "timeout": 120,
            "graceful_timeout": 30,
            # Patchwork logs each request itself (ops/request_log.py), without query strings.
            "accesslog": None,
            "child_exit": lambda _server, worker: metrics.mark_process_dead(worker.pid),
            "on_exit": on_exit,
        },
    ).run()


def _app_or_exit(settings: Settings) -> Flask:
    try:
        return create_app(settings)
    except ConfigError as exc:  # what only building the app finds (a rate limit store)
        raise BadSetting(str(exc)) from None
