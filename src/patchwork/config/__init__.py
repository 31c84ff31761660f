"""Settings: where they come from and what they mean.

Every server setting is one row of a declared table (``table.py``: name, the original's names
for it, parser, default, doc); ``load_settings`` (``loading.py``) reads them all from the
environment, ``.env`` and ``config.ini`` and checks every value before anything starts, and
:class:`Settings` (``settings.py``) holds one typed field per setting. README's "Settings"
section lists the same rows, kept equal by a test (docs/decisions/0113-settings-table.md).
"""

from __future__ import annotations

from patchwork.config.loading import load_settings
from patchwork.config.settings import LogFormat, Settings, StorageLayout
from patchwork.config.table import SETTINGS, Setting, declared
from patchwork.config.values import ConfigError, redact_url

__all__ = [
    "SETTINGS",
    "ConfigError",
    "LogFormat",
    "Setting",
    "Settings",
    "StorageLayout",
    "declared",
    "load_settings",
    "redact_url",
]
