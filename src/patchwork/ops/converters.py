"""URL converters that keep path values inside what the databases can store."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter

from patchwork.db.types import MAX_ID


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that never matches beyond BIGINT, so such ids are a plain 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
