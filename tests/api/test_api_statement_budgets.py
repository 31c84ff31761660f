"""Statement budgets of the JSON API: how many transactions and SQL statements one request may
cost, on every database (the counter: tests/support/statements.py; decision 0117).

Measured on the first request of a fresh app (the ``app`` fixture). video_data reads no cached
answer, so nothing is warmed: the budget is the whole request.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from patchwork.db import Database
from patchwork.state import app_state
from support.statements import CountStatements
from support.web_samples import SUBRIP_ID, build_archive

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120"}


def test_video_data(
    app: Flask, client: FlaskClient, db: Database, count_statements: CountStatements
) -> None:
    """The video, its view (a browser's is counted), its file, its stored .info.json and its
    captions: one transaction each today (the view writes)."""
    build_archive(db, app_state(app).storage)
    with count_statements(db) as counted:
        response = client.get(f"/api/database/video_data/{SUBRIP_ID}", headers=BROWSER)
        assert response.status_code == 200
        assert response.get_json()["subtitles"]  # the captions were read
    # measured: 2 transactions, 5 statements (the video, its files and captions in one read;
    # the view count's check and upsert in one write)
    assert counted.transactions <= 2, counted.report()
    assert counted.statements <= 5, counted.report()
