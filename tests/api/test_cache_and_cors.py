from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis
from flask.testing import FlaskClient

from patchwork.app import create_app
from patchwork.archive.ingest.info_json import ingest_metadata, parse_info
from patchwork.cache import KEY_PREFIX, MemoryCache, remember
from patchwork.cache.redis_store import RedisCache
from patchwork.config import Settings
from support.archive_samples import SAMPLES

# Summaries sit in the cache as their snapshot's front (patchwork.archive.snapshots).
CACHED_ENDPOINTS = {
    "/api/discover_videos?count=3": "snapshot:discover_videos:3",
    "/api/discover_channels": "snapshot:discover_channels:6",
    "/api/popular": "snapshot:popular",
    "/api/status": "service_status",
    "/api/storage/status": "snapshot:storage:database",
}


def test_memory_cache_expires_and_bounds() -> None:
    cache = MemoryCache(max_entries=2)
    cache.set("a", [1], ttl_seconds=60)
    cache.set("b", [], ttl_seconds=60)
    assert cache.get("a") == (True, [1])
    assert cache.get("b") == (True, [])  # an empty list is a hit, unlike the original
    cache.set("c", 3, ttl_seconds=60)
    assert cache.get("a") == (False, None)  # evicted, oldest first
    cache.set("d", 4, ttl_seconds=0)
    assert cache.get("d") == (False, None)
    calls: list[int] = []
    assert remember(cache, "e", 60, lambda: calls.append(1) or "v") == "v"
    assert remember(cache, "e", 60, lambda: calls.append(1) or "w") == "v"
    assert calls == [1]


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = os.environ.get("PATCHWORK_TEST_REDIS_URL")
    if not url:
        pytest.skip("PATCHWORK_TEST_REDIS_URL is not set")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"PATCHWORK_TEST_REDIS_URL is set but Redis is unreachable: {exc}")
    for key in client.scan_iter(match=KEY_PREFIX + "*"):
        client.delete(key)
    yield url
    for key in client.scan_iter(match=KEY_PREFIX + "*"):
        client.delete(key)


def _app_with_redis(settings: Settings, url: str) -> FlaskClient:
    app = create_app(settings.with_overrides(redis_url=url))
    return app.test_client()


def test_cached_endpoints_answer_from_redis(settings: Settings, redis_url: str) -> None:
    client = _app_with_redis(settings, redis_url)
    raw = redis.Redis.from_url(redis_url)
    for path, key in CACHED_ENDPOINTS.items():
        first = client.get(path)
        assert first.status_code == 200
        assert raw.exists(KEY_PREFIX + key), key
        assert 0 < raw.ttl(KEY_PREFIX + key) <= 86400
    # A value planted in Redis is what the endpoint answers: it reads the cache.
    planted = '{"value": [{"video_id": "from-redis"}], "version": ""}'
    raw.set(KEY_PREFIX + "snapshot:popular", planted, ex=60)
    assert client.get("/api/popular").get_json() == [{"video_id": "from-redis"}]


def test_unreachable_redis_means_uncached_answers(settings: Settings, db) -> None:  # type: ignore[no-untyped-def]
    ingest_metadata(db, parse_info(SAMPLES[0]))
    client = _app_with_redis(settings, "redis://127.0.0.1:1/0")
    for path in CACHED_ENDPOINTS:
        assert client.get(path).status_code == 200, path
    assert client.get("/api/daily_featured_videos").get_json()[0]["video_id"] == SAMPLES[0]["id"]


def test_redis_cache_survives_a_dead_server() -> None:
    cache = RedisCache("redis://127.0.0.1:1/0", prefix=KEY_PREFIX, timeout_seconds=0.2)
    assert cache.get("k") == (False, None)
    cache.set("k", 1, 10)
    assert remember(cache, "k", 10, lambda: 5) == 5


def test_cors_headers_for_another_origin(client: FlaskClient, db) -> None:  # type: ignore[no-untyped-def]
    ingest_metadata(db, parse_info(SAMPLES[0]))
    response = client.get(
        f"/api/video/{SAMPLES[0]['id']}", headers={"Origin": "https://frontend.example"}
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://frontend.example")
    preflight = client.options(
        "/api/worker/queue",
        headers={
            "Origin": "https://frontend.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-AUTHENTICATION",
        },
    )
    assert preflight.headers.get("Access-Control-Allow-Origin")
    assert "x-authentication" in preflight.headers.get("Access-Control-Allow-Headers", "").lower()


def test_cors_origins_setting_restricts(settings: Settings) -> None:
    app = create_app(settings.with_overrides(cors_origins=("https://ok.example",)))
    client = app.test_client()
    good = client.get("/api/recently_archived", headers={"Origin": "https://ok.example"})
    bad = client.get("/api/recently_archived", headers={"Origin": "https://evil.example"})
    assert good.headers.get("Access-Control-Allow-Origin") == "https://ok.example"
    assert "Access-Control-Allow-Origin" not in bad.headers
