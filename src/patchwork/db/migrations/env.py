"""Alembic environment: runs on the connection handed over by :mod:`patchwork.db.migrate`."""

from __future__ import annotations

from alembic import context

from patchwork.db.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached by running `alembic` by hand
    raise RuntimeError("run migrations with `patchwork db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
