"""lost media: each video's availability, every check of it, its metadata versions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Every existing video gets an ``unknown`` availability counted from its archive time, so an
archive upgraded with old videos checks them, oldest first, as the hourly budget allows
(docs/decisions/0119-two-answers-and-a-budget.md).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: The counters: checks ended per outcome, and checks queued (whose row every scheduler
#: locks, so two servers never overspend the hourly budget).
COUNTERS = ("available", "unavailable", "inconclusive", "queued")

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


def _video_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["video_id"],
        ["videos.video_id"],
        name=op.f(f"fk_{table}_video_id_videos"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "video_availability",
        sa.Column("video_id", id_string(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("since", timestamp(), nullable=True),
        sa.Column("last_checked_at", timestamp(), nullable=True),
        sa.Column("check_from", timestamp(), nullable=False),
        sa.Column("streak_outcome", sa.String(16), nullable=True),
        sa.Column("streak_reason", sa.String(32), nullable=True),
        sa.Column("streak_count", sa.Integer(), nullable=False),
        sa.Column("streak_since", timestamp(), nullable=True),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("tags", long_text(), nullable=True),
        sa.Column("thumbnail_url", long_text(), nullable=True),
        _video_fk("video_availability"),
        sa.PrimaryKeyConstraint("video_id", name=op.f("pk_video_availability")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    with op.batch_alter_table("video_availability") as batch:
        batch.create_index("ix_video_availability_due", ["check_from", "video_id"])
        batch.create_index("ix_video_availability_lost", ["state", "since", "video_id"])
        batch.create_index("ix_video_availability_reason", ["state", "reason", "since", "video_id"])

    op.create_table(
        "availability_checks",
        sa.Column("id", big_id(), autoincrement=True, nullable=False),
        sa.Column("video_id", id_string(255), nullable=False),
        sa.Column("checked_at", timestamp(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("message", long_text(), nullable=True),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("worker_name", sa.String(255), nullable=True),
        _video_fk("availability_checks"),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["tokens.id"],
            name=op.f("fk_availability_checks_token_id_tokens"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_checks")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    with op.batch_alter_table("availability_checks") as batch:
        batch.create_index("ix_availability_checks_video", ["video_id", "id"])

    op.create_table(
        "check_counts",
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("outcome", name=op.f("pk_check_counts")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )

    op.create_table(
        "video_versions",
        sa.Column("id", big_id(), autoincrement=True, nullable=False),
        sa.Column("video_id", id_string(255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seen_at", timestamp(), nullable=False),
        sa.Column("title", long_text(), nullable=False),
        sa.Column("description", long_text(), nullable=False),
        sa.Column("channel_name", long_text(), nullable=False),
        sa.Column("tags", long_text(), nullable=True),
        sa.Column("thumbnail_url", long_text(), nullable=True),
        sa.Column("changed", sa.String(255), nullable=True),
        sa.Column("info_key", sa.String(1024), nullable=True),
        sa.Column("thumbnail_key", sa.String(1024), nullable=True),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        _video_fk("video_versions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_versions")),
        sa.UniqueConstraint("video_id", "version", name=op.f("uq_video_versions_video_id_version")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )

    with op.batch_alter_table("jobs") as batch:
        batch.create_index("ix_jobs_mode_created", ["mode", "created_at"])

    op.execute(
        "INSERT INTO video_availability (video_id, state, check_from, streak_count, checks) "
        "SELECT video_id, 'unknown', archived_at, 0, 0 FROM videos"
    )
    op.bulk_insert(
        sa.table("check_counts", sa.column("outcome"), sa.column("count")),
        [{"outcome": outcome, "count": 0} for outcome in COUNTERS],
    )


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_mode_created")
    op.drop_table("video_versions")
    op.drop_table("check_counts")
    op.drop_table("availability_checks")
    op.drop_table("video_availability")
