"""Token checks on the queue and worker API: 401, 403, revoked tokens, headers."""

from __future__ import annotations

from flask.testing import FlaskClient

from patchwork.archive.tokens import list_tokens, revoke_token
from patchwork.db import Database
from support.queue_fixtures import Tokens, auth, worker_auth

URL = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def test_no_token_is_401_json(client: FlaskClient) -> None:
    for method, path in [
        ("post", "/api/worker/queue"),
        ("get", "/api/worker/queue"),
        ("get", "/api/worker/next"),
        ("post", "/api/worker/heartbeat"),
        ("delete", "/api/storage/delete"),
        ("post", "/api/worker/jobs/1/complete"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 401, path
        assert response.get_json() == {"error": "Authentication required"}


def test_wrong_token_is_401(client: FlaskClient, tokens: Tokens) -> None:
    response = client.get("/api/worker/next", headers=auth("not-a-token"))
    assert response.status_code == 401
    assert "error" in response.get_json()


def test_wrong_role_is_403(client: FlaskClient, tokens: Tokens) -> None:
    assert client.get("/api/worker/next", headers=worker_auth(tokens.queue)).status_code == 403
    response = client.post("/api/worker/queue", data={"url": URL}, headers=auth(tokens.worker))
    assert response.status_code == 403


def test_bearer_header_and_admin_token(client: FlaskClient, tokens: Tokens) -> None:
    bearer = {"Authorization": f"Bearer {tokens.queue}"}
    assert client.post("/api/worker/queue", data={"url": URL}, headers=bearer).status_code == 200
    assert client.get("/api/worker/next", headers=worker_auth(tokens.admin)).status_code == 200


def test_revoked_token_refused_and_last_used_recorded(
    client: FlaskClient, db: Database, tokens: Tokens
) -> None:
    assert client.get("/api/worker/next", headers=worker_auth(tokens.worker)).status_code == 204
    used = {t.name: t.last_used_at for t in list_tokens(db)}
    assert used["worker-a"] is not None
    assert used["worker-b"] is None
    revoke_token(db, "worker-a")
    assert client.get("/api/worker/next", headers=worker_auth(tokens.worker)).status_code == 401
