"""``patchwork worker``: archive queued URLs with yt-dlp through the server's worker API."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from patchwork.cli.context import BadSetting


@click.command("worker")
@click.option("--server", help="The Patchwork server's base URL ([queue] base_url).")
@click.option("--token", help="A worker token ([queue] worker_password).")
@click.option("--name", help="This worker's name, shown by /api/status ([queue] worker_name).")
@click.option("--once", is_flag=True, default=None, help="Drain what is queued, then exit.")
@click.option("--workdir", type=click.Path(file_okay=False), help="Scratch folder for downloads.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="A config.ini.")
@click.option("--max-height", type=int, help="Highest video resolution to fetch (1080).")
@click.option("--max-filesize", type=int, help="Largest video in bytes (500000000).")
@click.option("--cookies", help="A cookies.txt for yt-dlp ([youtube] cookies).")
@click.option("--auto-captions/--no-auto-captions", default=None, help="Auto-generated captions.")
@click.option("--extractor-args", multiple=True, help="yt-dlp IE_KEY:ARGS; repeatable.")
@click.option("--plugin-dir", "plugin_dirs", multiple=True, help="yt-dlp plugin folder.")
@click.option("--pause", type=float, help="Seconds between downloads, ± jitter (30).")
@click.option("--idle", type=float, help="Seconds between polls of an empty queue (60).")
@click.option("--cooldown", type=float, help="Seconds to rest after a bot check (900).")
@click.option("-v", "--verbose", is_flag=True, help="Show yt-dlp's own messages.")
def worker(config_path: str | None, verbose: bool, **options: Any) -> None:
    """Claim jobs, download them with yt-dlp and upload them to the server.

    Options also come from PATCHWORK_WORKER_* variables (PATCHWORK_WORKER_SERVER,
    PATCHWORK_WORKER_TOKEN, ...) and from a config.ini's [queue] and [worker] sections.
    """
    try:
        from patchwork.worker.client import ApiClient
        from patchwork.worker.config import WorkerConfigError, load_config
        from patchwork.worker.download import Downloader
        from patchwork.worker.runner import Runner
    except ImportError as exc:  # yt-dlp or requests missing
        raise click.ClickException(
            f"the worker needs its extra: pip install -e '.[worker]' in a checkout ({exc})"
        ) from None

    if options.get("workdir"):
        options["workdir"] = Path(options["workdir"])
    try:
        config = load_config(options, config_path=config_path)
    except WorkerConfigError as exc:
        raise BadSetting(str(exc)) from None

    _log_to_stderr(verbose)
    stop = threading.Event()  # set by the first SIGTERM/SIGINT; cuts waits short
    client = ApiClient(
        config.server,
        config.token,
        config.name,
        retries=config.retries,
        timeout=60.0,
        sleep=stop.wait,
    )
    runner = Runner(config, client, Downloader(config, stop=stop))
    signal.signal(signal.SIGTERM, runner.request_stop)
    signal.signal(signal.SIGINT, runner.request_stop)
    logging.getLogger("patchwork.worker").info(
        "worker %s for %s, scratch in %s%s",
        config.name,
        config.server,
        config.workdir,
        " (once)" if config.once else "",
    )
    try:
        code = runner.run()
    finally:
        client.close()
    sys.exit(code)


class _StepHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """One timestamped line per step, on whatever stderr is now."""


def _log_to_stderr(verbose: bool) -> None:
    logger = logging.getLogger("patchwork.worker")
    for old in [h for h in logger.handlers if isinstance(h, _StepHandler)]:
        logger.removeHandler(old)
    handler = _StepHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
