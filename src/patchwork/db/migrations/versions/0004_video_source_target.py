"""videos remember the queue target they were archived from (identity pinning)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Existing videos keep NULL: a YouTube video's identity follows from its id, and a video of
another site archived before this revision can be replaced only by a job whose reported id
is pinned to its target from now on (docs/decisions/0007-one-writer-of-video-files.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def id_string(length: int) -> sa.types.TypeEngine[str]:
    # Frozen copy of patchwork.db.types.IdString so this revision never changes.
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def upgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.add_column(sa.Column("source_target", id_string(512), nullable=True))
        batch.create_index("ix_videos_source_target", ["source_target"])


def downgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.drop_index("ix_videos_source_target")
        batch.drop_column("source_target")
