"""search index: marked search text on videos/channels, term postings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Types frozen here (not imported from the models) so this revision never changes.


def search_text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(
        mysql.MEDIUMTEXT(charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def search_term() -> sa.types.TypeEngine[str]:
    return (
        sa.String(64)
        .with_variant(
            mysql.VARCHAR(64, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
        )
        .with_variant(sa.String(64, collation="C"), "postgresql")
    )


def big_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.add_column(sa.Column("search_title", search_text(), nullable=True))
        batch.add_column(sa.Column("search_channel", search_text(), nullable=True))
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("search_text", search_text(), nullable=True))
    op.create_table(
        "video_terms",
        sa.Column("video_id", big_id(), nullable=False),
        sa.Column("term", search_term(), nullable=False),
        sa.Column("in_title", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_video_terms_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("video_id", "term", name=op.f("pk_video_terms")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_video_terms_term", "video_terms", ["term", "in_title", "video_id"], unique=False
    )
    op.create_table(
        "channel_terms",
        sa.Column("channel_id", big_id(), nullable=False),
        sa.Column("term", search_term(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_channel_terms_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel_id", "term", name=op.f("pk_channel_terms")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        sqlite_with_rowid=False,
    )
    op.create_index("ix_channel_terms_term", "channel_terms", ["term", "channel_id"], unique=False)
    bind = op.get_bind()
    if bind.scalar(sa.text("SELECT COUNT(*) FROM channels")):
        # An existing archive: fill the index now, so search works right after the upgrade.
        from patchwork.db.migrate import rebuild_search_index

        rebuild_search_index(bind)


def downgrade() -> None:
    op.drop_table("channel_terms")
    op.drop_table("video_terms")
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("search_text")
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("search_channel")
        batch.drop_column("search_title")
