"""subscriptions: sources, the entries their scans found, and jobs that remember them

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

``jobs.source_id`` and ``sources.scan_job_id`` have no foreign keys: a key on ``jobs`` would
make SQLite's batch migration copy the whole queue, and the two tables would point at each
other (docs/decisions/0118-scans-run-on-workers.md).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0006"
down_revision = "0005"
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
        "sources",
        sa.Column("id", big_id(), autoincrement=True, nullable=False),
        sa.Column("url", long_text(), nullable=False),
        sa.Column("url_key", id_string(512), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("scan_every_seconds", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("first_scan_limit", sa.Integer(), nullable=True),
        sa.Column("title_include", sa.Text(), nullable=True),
        sa.Column("title_exclude", sa.Text(), nullable=True),
        sa.Column("min_duration", sa.Integer(), nullable=True),
        sa.Column("max_duration", sa.Integer(), nullable=True),
        sa.Column("uploaded_after", sa.Date(), nullable=True),
        sa.Column("skip_shorts", sa.Boolean(), nullable=False),
        sa.Column("skip_live", sa.Boolean(), nullable=False),
        sa.Column("skip_upcoming", sa.Boolean(), nullable=False),
        sa.Column("archive_options", sa.Text(), nullable=True),
        sa.Column("next_scan_at", timestamp(), nullable=False),
        sa.Column("last_scan_at", timestamp(), nullable=True),
        sa.Column("last_scan_entries", sa.Integer(), nullable=True),
        sa.Column("scan_job_id", sa.BigInteger(), nullable=True),
        sa.Column("scan_full", sa.Boolean(), nullable=False),
        sa.Column("scan_retry_failed", sa.Boolean(), nullable=False),
        sa.Column("scan_position", sa.Integer(), nullable=False),
        sa.Column("scan_known_run", sa.Integer(), nullable=False),
        sa.Column("entries_found", sa.Integer(), nullable=False),
        sa.Column("entries_filtered", sa.Integer(), nullable=False),
        sa.Column("entries_known", sa.Integer(), nullable=False),
        sa.Column("created_by_token_id", sa.Integer(), nullable=True),
        sa.Column("created_at", timestamp(), nullable=False),
        sa.Column("updated_at", timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_token_id"],
            ["tokens.id"],
            name=op.f("fk_sources_created_by_token_id_tokens"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("url_key", name=op.f("uq_sources_url_key")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    with op.batch_alter_table("sources") as batch:
        batch.create_index("ix_sources_due", ["enabled", "next_scan_at", "id"], unique=False)

    op.create_table(
        "source_entries",
        sa.Column("id", big_id(), autoincrement=True, nullable=False),
        sa.Column("source_id", big_id(), nullable=False),
        sa.Column("entry_key", id_string(512), nullable=False),
        sa.Column("url", long_text(), nullable=False),
        sa.Column("title", long_text(), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("upload_date", sa.Date(), nullable=True),
        sa.Column("live_status", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(255), nullable=True),
        sa.Column("job_id", big_id(), nullable=True),
        sa.Column("found_at", timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_source_entries_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_source_entries_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_entries")),
        sa.UniqueConstraint(
            "source_id", "entry_key", name=op.f("uq_source_entries_source_id_entry_key")
        ),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    with op.batch_alter_table("source_entries") as batch:
        batch.create_index("ix_source_entries_listing", ["source_id", "id"], unique=False)

    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("source_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("options", long_text(), nullable=True))
        batch.create_index("ix_jobs_source_state", ["source_id", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_source_state")
        batch.drop_column("options")
        batch.drop_column("source_id")
    op.drop_table("source_entries")
    op.drop_table("sources")
