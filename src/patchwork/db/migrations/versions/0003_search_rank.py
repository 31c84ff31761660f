"""search postings carry the newest-first sort key (rank), indexed per term

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

The postings are derived data: the table is recreated with the new column and index and,
when videos exist, refilled by ``reindex`` (docs/decisions/0303-search-postings-ranked.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Types frozen here (not imported from the models) so this revision never changes.


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


def _create(with_rank: bool) -> None:
    columns: list[sa.Column[object]] = [
        sa.Column("video_id", big_id(), nullable=False),
        sa.Column("term", search_term(), nullable=False),
        sa.Column("in_title", sa.Boolean(), nullable=False),
    ]
    if with_rank:
        columns.append(sa.Column("rank", sa.BigInteger(), nullable=False))
    op.create_table(
        "video_terms",
        *columns,
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
    if with_rank:
        op.create_index(
            "ix_video_terms_rank",
            "video_terms",
            ["term", "in_title", "rank", "video_id"],
            unique=False,
        )
    else:
        op.create_index(
            "ix_video_terms_term", "video_terms", ["term", "in_title", "video_id"], unique=False
        )


def _refill() -> None:
    bind = op.get_bind()
    if bind.scalar(sa.text("SELECT COUNT(*) FROM videos")):
        from patchwork.db.migrate import rebuild_search_index

        rebuild_search_index(bind)


def upgrade() -> None:
    op.drop_table("video_terms")
    _create(with_rank=True)
    _refill()


def downgrade() -> None:
    # Left empty: this code's reindex writes ranks; run ``patchwork search reindex`` of the
    # older release after downgrading.
    op.drop_table("video_terms")
    _create(with_rank=False)
