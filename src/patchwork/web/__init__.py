"""Server-rendered pages: the viewer (:mod:`patchwork.web.pages`) and the queuer portal at
``/queue``.

No build step: Jinja templates (autoescaped) on one base layout, one stylesheet and a few small
scripts; the portal's keeps the queue token in the browser's localStorage and calls the JSON API.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from patchwork.archive.queue import lifecycle
from patchwork.archive.queue.counts import jobs_per_state
from patchwork.archive.queue.kinds import mode_names
from patchwork.archive.queue.states import ACTIVE_STATES, JobState
from patchwork.state import app_state
from patchwork.web import pages
from patchwork.web.filters import register_filters

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/web-static",
)

SHOWN_ACTIVE = 500
SHOWN_FAILED = 50


@bp.get("/queue")
def queue_page() -> str:
    db = app_state().db
    active = lifecycle.list_jobs(db, ACTIVE_STATES, limit=SHOWN_ACTIVE)
    failed = lifecycle.list_jobs(db, (JobState.FAILED,), limit=SHOWN_FAILED, newest_first=True)
    counts = jobs_per_state(db)
    return render_template(
        "queue.html",
        jobs=active,
        queued=counts[JobState.QUEUED],
        leased=counts[JobState.LEASED],
        failed=failed,
        mode_names=mode_names(),  # every registered kind, so a new one is named too
    )


def register_web(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(pages.bp)
    register_filters(app)
