"""Hostile input answers a 4xx JSON error, never a 500 (issue 12)."""

from __future__ import annotations

from flask.testing import FlaskClient

from patchwork.app import create_app
from patchwork.config import Settings


def test_metrics_bearer_with_non_ascii_is_refused(settings: Settings) -> None:
    app = create_app(settings.with_overrides(extra={"PATCHWORK_METRICS_TOKEN": "s3cret"}))
    client = app.test_client()
    # Werkzeug decodes header bytes as latin-1, so "ü" arrives as a non-ASCII str.
    answer = client.get("/metrics", headers={"Authorization": "Bearer \u00fc"})
    assert answer.status_code == 401
    assert answer.get_json() == {"error": "Authentication required"}
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_worker_secret_with_non_ascii_is_refused(client: FlaskClient) -> None:
    answer = client.post("/api/worker/claim", headers={"X-AUTHENTICATION": "\u00fc\u00e9"}, json={})
    assert 400 <= answer.status_code < 500
    assert "error" in (answer.get_json() or {})


def test_job_ids_beyond_bigint_are_404_json(client: FlaskClient) -> None:
    huge = 2**63
    for method, path in [
        ("GET", f"/api/worker/jobs/{huge}"),
        ("POST", f"/api/worker/jobs/{huge}/progress"),
        ("POST", f"/api/worker/jobs/{huge}/complete"),
        ("POST", f"/api/worker/jobs/{huge}/fail"),
        ("DELETE", f"/api/worker/queue/{huge}"),
    ]:
        answer = client.open(path, method=method, json={})
        assert answer.status_code == 404, (method, path, answer.status_code)
        assert "error" in (answer.get_json() or {}), (method, path)
