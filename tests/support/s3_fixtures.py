"""S3 test fixtures: a real moto server on loopback, reached by boto3 over HTTP.

Loaded for every test by ``pytest_plugins`` in tests/conftest.py:

- ``aws_env``         session: fake credentials, no host AWS config leaking in
- ``moto_server``     session: endpoint URL of a ThreadedMotoServer on 127.0.0.1
- ``s3_client``       a plain boto3 S3 client for that endpoint (for setup/inspection)
- ``s3_storage_client`` session: a client built by patchwork's make_client
- ``s3_bucket``       a fresh, empty bucket per test (emptied and removed afterwards)
- ``s3_storage``      an S3Storage on that bucket under the prefix ``archive/``
- ``local_storage``   a LocalStorage in tmp_path
- ``storage``         parametrised: each test runs once per backend
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from patchwork.storage import LocalStorage, S3Storage, Storage
from patchwork.storage.s3 import make_client

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def aws_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fake credentials; a developer's ~/.aws or AWS_PROFILE must not reach the tests."""
    nowhere = tmp_path_factory.mktemp("aws") / "absent"
    with pytest.MonkeyPatch.context() as mp:
        for name, value in FAKE_AWS_ENV.items():
            mp.setenv(name, value)
        mp.setenv("AWS_CONFIG_FILE", str(nowhere))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(nowhere))
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        for name in (
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_S3",
        ):
            mp.delenv(name, raising=False)
        yield


@pytest.fixture(scope="session")
def moto_server(aws_env: None) -> Iterator[str]:
    """Start moto's server on an ephemeral loopback port; yield its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()  # returns once the socket is bound and listening
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_client(moto_server: str) -> Any:
    """A plain boto3 client (default config) for setting up and inspecting buckets."""
    return boto3.session.Session().client("s3", endpoint_url=moto_server, region_name="us-east-1")


@pytest.fixture(scope="session")
def s3_storage_client(moto_server: str) -> Any:
    """A client as the app builds it; shared because building one costs ~0.1 s."""
    return make_client(moto_server, "us-east-1")


@pytest.fixture
def s3_bucket(s3_client: Any) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=name)
    yield name
    # Keep the in-memory server small over a long session.
    paginator = s3_client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=name):
        for obj in page.get("Contents", []):
            s3_client.delete_object(Bucket=name, Key=obj["Key"])
    uploads = s3_client.list_multipart_uploads(Bucket=name).get("Uploads", [])
    for upload in uploads:
        s3_client.abort_multipart_upload(
            Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"]
        )
    s3_client.delete_bucket(Bucket=name)


@pytest.fixture
def s3_storage(moto_server: str, s3_bucket: str, s3_storage_client: Any) -> S3Storage:
    return S3Storage(s3_bucket, "archive/", client=s3_storage_client, endpoint_url=moto_server)


@pytest.fixture
def local_storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "archive")


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest) -> Storage:
    name = "local_storage" if request.param == "local" else "s3_storage"
    backend: Storage = request.getfixturevalue(name)
    return backend
