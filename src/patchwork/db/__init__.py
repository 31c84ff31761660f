"""Database room: engine and sessions, typed models, migrations, and the dialect corner."""

from patchwork.db.engine import Database, DatabaseUnavailable

__all__ = ["Database", "DatabaseUnavailable"]
