"""Storage backends come from the entry-point group ``patchwork.storage_backends``: Patchwork's
own and a third party's are found the same way, by the storage URL's scheme."""

from __future__ import annotations

import io
from importlib.metadata import EntryPoint
from pathlib import Path
from urllib.parse import SplitResult

import pytest

from patchwork.config import ConfigError
from patchwork.storage import (
    LocalStorage,
    Storage,
    StorageOptions,
    UnknownStorageScheme,
    backends,
    installed_backends,
    open_storage,
)

#: What the fake backend's factory was called with, in order.
OPENED: list[tuple[SplitResult, StorageOptions]] = []


def open_scratch_url(url: SplitResult, options: StorageOptions) -> Storage:
    """A third party's backend: ``scratch://<name>/<absolute directory>``, on local disk."""
    OPENED.append((url, options))
    return LocalStorage(Path(url.path))


@pytest.fixture
def scratch_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """``scratch`` installed next to Patchwork's own backends, as a package would declare it."""
    declared = EntryPoint(
        name="scratch", value=f"{__name__}:open_scratch_url", group=backends.ENTRY_POINT_GROUP
    )
    installed = installed_backends()
    monkeypatch.setattr(backends, "installed_backends", lambda: {**installed, "scratch": declared})
    OPENED.clear()


def test_patchwork_declares_its_own_backends_as_entry_points() -> None:
    declared = {scheme: ep.value for scheme, ep in installed_backends().items()}
    assert declared["file"] == "patchwork.storage.local:open_file_url"
    assert declared["s3"] == "patchwork.storage.s3:open_s3_url"


@pytest.mark.usefixtures("scratch_backend")
def test_a_backend_registered_at_test_time_is_opened_by_scheme(tmp_path: Path) -> None:
    storage = open_storage(
        f"scratch://disk{tmp_path}", s3_endpoint_url="http://127.0.0.1:9", s3_region="eu-west-1"
    )
    assert isinstance(storage, LocalStorage) and storage.root == tmp_path.resolve()
    storage.write("video/x.webm", io.BytesIO(b"bytes"))
    assert b"".join(storage.iter_object("video/x.webm")) == b"bytes"
    [(url, options)] = OPENED
    assert (url.scheme, url.netloc, url.path) == ("scratch", "disk", str(tmp_path))
    assert options == StorageOptions(s3_endpoint_url="http://127.0.0.1:9", s3_region="eu-west-1")


@pytest.mark.usefixtures("scratch_backend")
def test_the_file_backend_still_opens_beside_a_third_party_one(tmp_path: Path) -> None:
    storage = open_storage(tmp_path.as_uri())
    assert isinstance(storage, LocalStorage) and storage.root == tmp_path.resolve()
    assert OPENED == []


@pytest.mark.usefixtures("scratch_backend")
def test_an_unknown_scheme_is_a_config_error_listing_the_installed_ones() -> None:
    with pytest.raises(ConfigError) as refused:
        open_storage("gs://bucket/archive")
    assert str(refused.value) == (
        "PATCHWORK_STORAGE_URL: no storage backend for 'gs' URLs (installed: file, s3, scratch)"
    )
    # A ValueError too, as every malformed storage URL is to the callers that report them.
    assert isinstance(refused.value, UnknownStorageScheme) and isinstance(refused.value, ValueError)


def test_without_any_backend_installed_the_error_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "installed_backends", dict)
    with pytest.raises(UnknownStorageScheme, match=r"'file' URLs \(installed: none\)"):
        open_storage("file:///srv/archive")
