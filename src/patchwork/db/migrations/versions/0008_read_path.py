"""read path at a million videos: channel names and availability counted, popular indexed,
answer snapshots

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

``channel_names`` is filled from the videos (one grouped pass); ``views.video_row`` copies
each video's archive order so popular is one index read; ``answer_snapshots`` starts empty
(docs/decisions/0121-read-path-without-scans.md).
"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Column types frozen here (not imported from the models) so this revision never changes.


def id_string(length: int) -> sa.types.TypeEngine[str]:
    variant = mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin")
    return sa.String(length).with_variant(variant, "mysql", "mariadb")


def long_text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def big_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def timestamp() -> sa.types.TypeEngine[Any]:
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "channel_names",
        sa.Column("channel_id", id_string(255), nullable=False),
        sa.Column("name_sha256", sa.String(64), nullable=False),
        sa.Column("name", long_text(), nullable=False),
        sa.Column("video_count", sa.BigInteger(), nullable=False),
        sa.Column("newest_video_row", big_id(), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "name_sha256", name=op.f("pk_channel_names")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index("ix_channel_names_newest", "channel_names", ["channel_id", "newest_video_row"])
    op.create_table(
        "answer_snapshots",
        sa.Column("key", id_string(255), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("value", long_text(), nullable=False),
        sa.Column("computed_at", timestamp(), nullable=False),
        sa.Column("refreshing_until", timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_answer_snapshots")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_table(
        "availability_counts",
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("state", "reason", name=op.f("pk_availability_counts")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.execute(
        "INSERT INTO availability_counts (state, reason, count) "
        "SELECT state, COALESCE(reason, ''), COUNT(*) FROM video_availability "
        "GROUP BY state, COALESCE(reason, '')"
    )
    with op.batch_alter_table("videos") as batch:
        batch.add_column(sa.Column("title_key", sa.String(64), nullable=True))
        batch.create_index("ix_videos_title_key", ["title_key"])
    with op.batch_alter_table("views") as batch:
        batch.add_column(sa.Column("video_row", big_id(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE views SET video_row = "
        "(SELECT videos.id FROM videos WHERE videos.video_id = views.video_id)"
    )
    with op.batch_alter_table("views") as batch:
        batch.alter_column("video_row", server_default=None, existing_type=big_id())
        batch.drop_index("ix_views_count")
        batch.create_index("ix_views_popular", ["count", "video_row"])
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_videos_channel_newest",
            "videos",
            ["channel_id", sa.text("upload_date DESC NULLS LAST"), sa.text("id DESC")],
        )
    _count_channel_names()
    bind = op.get_bind()
    if bind.scalar(sa.text("SELECT COUNT(*) FROM videos")):
        # The search text's rebuild writes every video's title_key with it, and the postings
        # with every CJK character alone (docs/decisions/0305-short-cjk-terms.md).
        from patchwork.db.migrate import rebuild_search_index

        rebuild_search_index(bind)


def _count_channel_names() -> None:
    """One pass over the videos, grouped here by the exact name (MySQL's GROUP BY would fold
    case); frozen here: the catalog's own recount may change."""
    bind = op.get_bind()
    counts: dict[tuple[str, str], list[int]] = {}
    videos = bind.execute(
        sa.text("SELECT channel_id, channel_name, id FROM videos"),
        execution_options={"stream_results": True, "yield_per": 10_000},
    )
    for channel_id, name, row in videos:
        seen = counts.setdefault((channel_id, name), [0, 0])
        seen[0] += 1
        seen[1] = max(seen[1], int(row))
    names = sa.table(
        "channel_names",
        sa.column("channel_id"),
        sa.column("name_sha256"),
        sa.column("name"),
        sa.column("video_count"),
        sa.column("newest_video_row"),
    )
    rows = [
        {
            "channel_id": channel_id,
            "name_sha256": hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest(),
            "name": name,
            "video_count": count,
            "newest_video_row": newest,
        }
        for (channel_id, name), (count, newest) in counts.items()
    ]
    for start in range(0, len(rows), 5000):
        bind.execute(sa.insert(names), rows[start : start + 5000])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_videos_channel_newest", "videos")
    with op.batch_alter_table("views") as batch:
        batch.drop_index("ix_views_popular")
        batch.create_index("ix_views_count", ["count"])
        batch.drop_column("video_row")
    with op.batch_alter_table("videos") as batch:
        batch.drop_index("ix_videos_title_key")
        batch.drop_column("title_key")
    op.drop_table("availability_counts")
    op.drop_table("answer_snapshots")
    op.drop_index("ix_channel_names_newest", "channel_names")
    op.drop_table("channel_names")
