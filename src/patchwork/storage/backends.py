"""Storage backends by URL scheme, found in the entry-point group ``patchwork.storage_backends``.

A backend is a factory taking the parsed storage URL and the :class:`StorageOptions` and
returning a :class:`~patchwork.storage.base.Storage`. Patchwork's own (``file``, ``s3``) are
registered in pyproject.toml exactly as a third-party package registers one, so a new scheme
needs no edit here (README, "Adding a storage backend"; decision 0116).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from urllib.parse import SplitResult

from patchwork.config import ConfigError
from patchwork.config.values import STORAGE_BACKENDS as ENTRY_POINT_GROUP

from .base import Storage

STORAGE_URL_SETTING = "PATCHWORK_STORAGE_URL"


@dataclass(frozen=True)
class StorageOptions:
    """The settings a backend gets besides its URL.

    Never credentials: a backend reads those the way its client library does (boto3 from
    ``AWS_ACCESS_KEY_ID`` and the AWS config files), so they never pass through Patchwork.
    """

    s3_endpoint_url: str | None = None
    s3_region: str | None = None


StorageFactory = Callable[[SplitResult, StorageOptions], Storage]


class UnknownStorageScheme(ConfigError, ValueError):
    """No installed backend handles the storage URL's scheme.

    A ValueError too, like every other malformed storage URL, so callers that report those
    (``patchwork storage migrate --to``) report this one the same way.
    """


def installed_backends() -> dict[str, EntryPoint]:
    """The installed backends by scheme (lower case), as declared in the entry-point group."""
    return {ep.name.lower(): ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def storage_backend(scheme: str) -> StorageFactory:
    """The factory of the backend for ``scheme``; :class:`UnknownStorageScheme` (naming
    PATCHWORK_STORAGE_URL and listing the installed schemes) when none is installed."""
    backends = installed_backends()
    found = backends.get(scheme.lower())
    if found is None:
        installed = ", ".join(sorted(backends)) or "none"
        raise UnknownStorageScheme(
            f"{STORAGE_URL_SETTING}: no storage backend for {scheme!r} URLs "
            f"(installed: {installed})"
        )
    factory: StorageFactory = found.load()
    return factory
