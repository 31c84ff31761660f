"""Storage statistics providers, looked up by name through entry points."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from patchwork.app import create_app
from patchwork.archive.ingest.info_json import ingest_metadata, parse_info
from patchwork.archive.maintenance.stats import available_providers
from patchwork.config import Settings
from patchwork.db import Database
from patchwork.db.models import KeyValue
from patchwork.storage import open_storage
from support.archive_samples import SAMPLES


def status_with(settings: Settings, **overrides: Any) -> tuple[int, dict[str, Any]]:
    app = create_app(settings.with_overrides(**overrides))
    response = app.test_client().get("/api/storage/status")
    return response.status_code, response.get_json()


@pytest.fixture
def two_videos(db: Database) -> None:
    for sample in SAMPLES[:2]:
        ingest_metadata(db, parse_info(sample))


def test_builtin_providers_are_registered() -> None:
    assert {"database", "kv", "s3", "cloudflare-r2", "none"} <= set(available_providers())


def test_kv_provider_reports_the_manual_numbers(
    settings: Settings, db: Database, two_videos: None
) -> None:
    with db.transaction() as session:
        session.add_all(
            [
                KeyValue(key="video_bucket_size", value="123.5"),
                KeyValue(key="video_bucket_size_units", value="GB"),
                KeyValue(key="video_bucket_count", value="4242"),
            ]
        )
    code, body = status_with(settings, storage_stats="kv")
    assert code == 200
    assert (body["storage_size"], body["units"], body["number_of_files"]) == (123.5, "GB", 4242)
    assert body["number_of_channels"] == 1


def test_none_provider_and_unknown_provider(
    settings: Settings, db: Database, two_videos: None
) -> None:
    code, body = status_with(settings, storage_stats="none")
    assert code == 200 and body["storage_size"] == 0 and body["number_of_files"] == 2
    code, body = status_with(settings, storage_stats="nonexistent")
    assert code == 503 and "nonexistent" in body["error"]


def test_s3_provider_lists_the_bucket(
    settings: Settings, db: Database, two_videos: None, moto_server: str, s3_bucket: str
) -> None:
    url = f"s3://{s3_bucket}/archive"
    storage = open_storage(url, s3_endpoint_url=moto_server)
    storage.write_bytes("video/a.webm", b"x" * (3 * 1024 * 1024))
    storage.write_bytes("video/b.mp4", b"y" * (1024 * 1024))
    storage.write_bytes("thumbnails/a.jpg", b"z" * 100)
    code, body = status_with(
        settings, storage_stats="s3", storage_url=url, s3_endpoint_url=moto_server
    )
    assert code == 200
    assert (body["number_of_files"], body["storage_size"], body["units"]) == (2, 4.0, "MB")


class FakeCloudflare(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        FakeCloudflare.seen.append((self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != "Bearer cf-token":
            self.send_response(403)
            self.end_headers()
            return
        body = json.dumps(
            {
                "success": True,
                "result": {
                    "payloadSize": str(5 * 1024 * 1024),
                    "metadataSize": "0",
                    "objectCount": "77",
                },
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def cloudflare_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeCloudflare)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/client/v4"
    server.shutdown()
    server.server_close()


def test_cloudflare_r2_provider(
    settings: Settings, db: Database, two_videos: None, cloudflare_api: str
) -> None:
    FakeCloudflare.seen.clear()
    options = dict(
        storage_stats="cloudflare-r2",
        cloudflare_account_id="acc123",
        cloudflare_bucket="archive",
        cloudflare_api_url=cloudflare_api,
    )
    code, body = status_with(settings, cloudflare_api_token="cf-token", **options)
    assert code == 200
    assert (body["number_of_files"], body["storage_size"]) == (77, 5.0)
    assert FakeCloudflare.seen[0] == (
        "/client/v4/accounts/acc123/r2/buckets/archive/usage",
        "Bearer cf-token",
    )
    code, body = status_with(settings, cloudflare_api_token="wrong-token", **options)
    assert code == 503 and "wrong-token" not in body["error"]
    code, body = status_with(settings, storage_stats="cloudflare-r2")
    assert code == 503 and "PATCHWORK_CLOUDFLARE_ACCOUNT_ID" in body["error"]
