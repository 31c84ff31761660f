"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

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


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("id", big_id(), autoincrement=True, nullable=False),
        sa.Column("channel_id", id_string(255), nullable=False),
        sa.Column("name", long_text(), nullable=False),
        sa.Column("romanized_name", long_text(), nullable=True),
        sa.Column("description", long_text(), nullable=True),
        sa.Column("has_avatar", sa.Boolean(), nullable=False),
        sa.Column("has_banner", sa.Boolean(), nullable=False),
        sa.Column("created_at", timestamp(), nullable=False),
        sa.Column("updated_at", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("channel_id", name=op.f("uq_channels_channel_id")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_table(
        "kv",
        sa.Column("key", id_string(255), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_kv")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", id_string(255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", timestamp(), nullable=False),
        sa.Column("last_used_at", timestamp(), nullable=True),
        sa.Column("revoked_at", timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
        sa.UniqueConstraint("name", name=op.f("uq_tokens_name")),
        sa.UniqueConstraint("secret_sha256", name=op.f("uq_tokens_secret_sha256")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_table(
        "videos",
        sa.Column("id", big_id(), autoincrement=True, nullable=False),
        sa.Column("video_id", id_string(255), nullable=False),
        sa.Column("title", long_text(), nullable=False),
        sa.Column("romanized_title", long_text(), nullable=True),
        sa.Column("channel_id", id_string(255), nullable=False),
        sa.Column("channel_name", long_text(), nullable=False),
        sa.Column("upload_date", sa.Date(), nullable=True),
        sa.Column("description", long_text(), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("source_url", long_text(), nullable=True),
        sa.Column("archived_at", timestamp(), nullable=False),
        sa.Column("updated_at", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_videos")),
        sa.UniqueConstraint("video_id", name=op.f("uq_videos_video_id")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.create_index(
            "ix_videos_channel_upload", ["channel_id", "upload_date", "id"], unique=False
        )
        batch_op.create_index("ix_videos_upload_date", ["upload_date", "id"], unique=False)

    op.create_table(
        "captions",
        sa.Column("id", big_id(), autoincrement=True, nullable=False),
        sa.Column("video_id", id_string(255), nullable=False),
        sa.Column("language", id_string(64), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("storage_key", sa.String(length=1024), nullable=False),
        sa.Column("size_bytes", big_id(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.video_id"],
            name=op.f("fk_captions_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captions")),
        sa.UniqueConstraint(
            "video_id", "language", "format", name=op.f("uq_captions_video_id_language_format")
        ),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_table(
        "files",
        sa.Column("id", big_id(), autoincrement=True, nullable=False),
        sa.Column("video_id", id_string(255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("storage_key", sa.String(length=1024), nullable=False),
        sa.Column("extension", sa.String(length=32), nullable=True),
        sa.Column("size_bytes", big_id(), nullable=False),
        sa.Column("size_is_approximate", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("content_type", sa.String(length=128), nullable=True),
        sa.Column("created_at", timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.video_id"],
            name=op.f("fk_files_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        sa.UniqueConstraint("video_id", "kind", name=op.f("uq_files_video_id_kind")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_table(
        "jobs",
        sa.Column("id", big_id(), autoincrement=True, nullable=False),
        sa.Column("url", long_text(), nullable=False),
        sa.Column("target", id_string(512), nullable=False),
        sa.Column("mode", sa.SmallInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", timestamp(), nullable=False),
        sa.Column("lease_token_id", sa.Integer(), nullable=True),
        sa.Column("lease_owner", sa.String(length=255), nullable=True),
        sa.Column("lease_expires_at", timestamp(), nullable=True),
        sa.Column("progress_percent", sa.Float(), nullable=True),
        sa.Column("progress_message", long_text(), nullable=True),
        sa.Column("last_error", long_text(), nullable=True),
        sa.Column("created_by_token_id", sa.Integer(), nullable=True),
        sa.Column("created_at", timestamp(), nullable=False),
        sa.Column("updated_at", timestamp(), nullable=False),
        sa.Column("finished_at", timestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_token_id"],
            ["tokens.id"],
            name=op.f("fk_jobs_created_by_token_id_tokens"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lease_token_id"],
            ["tokens.id"],
            name=op.f("fk_jobs_lease_token_id_tokens"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_claim", ["state", "available_at", "id"], unique=False)
        batch_op.create_index("ix_jobs_lease", ["state", "lease_expires_at"], unique=False)
        batch_op.create_index("ix_jobs_target_state", ["target", "state"], unique=False)

    op.create_table(
        "views",
        sa.Column("video_id", id_string(255), nullable=False),
        sa.Column("count", big_id(), nullable=False),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.video_id"],
            name=op.f("fk_views_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("video_id", name=op.f("pk_views")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    with op.batch_alter_table("views", schema=None) as batch_op:
        batch_op.create_index("ix_views_count", ["count"], unique=False)

    op.create_table(
        "job_events",
        sa.Column("id", big_id(), autoincrement=True, nullable=False),
        sa.Column("job_id", big_id(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("actor_token_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=255), nullable=True),
        sa.Column("message", long_text(), nullable=True),
        sa.Column("created_at", timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_token_id"],
            ["tokens.id"],
            name=op.f("fk_job_events_actor_token_id_tokens"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_events_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_events")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    with op.batch_alter_table("job_events", schema=None) as batch_op:
        batch_op.create_index("ix_job_events_job", ["job_id", "id"], unique=False)

    op.create_table(
        "workers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", id_string(255), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("status", long_text(), nullable=True),
        sa.Column("current_job_id", big_id(), nullable=True),
        sa.Column("progress_percent", sa.Float(), nullable=True),
        sa.Column("last_seen_at", timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["current_job_id"],
            ["jobs.id"],
            name=op.f("fk_workers_current_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["tokens.id"],
            name=op.f("fk_workers_token_id_tokens"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
        sa.UniqueConstraint("token_id", "name", name=op.f("uq_workers_token_id_name")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )


def downgrade() -> None:
    op.drop_table("workers")
    with op.batch_alter_table("job_events", schema=None) as batch_op:
        batch_op.drop_index("ix_job_events_job")

    op.drop_table("job_events")
    with op.batch_alter_table("views", schema=None) as batch_op:
        batch_op.drop_index("ix_views_count")

    op.drop_table("views")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_target_state")
        batch_op.drop_index("ix_jobs_lease")
        batch_op.drop_index("ix_jobs_claim")

    op.drop_table("jobs")
    op.drop_table("files")
    op.drop_table("captions")
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.drop_index("ix_videos_upload_date")
        batch_op.drop_index("ix_videos_channel_upload")

    op.drop_table("videos")
    op.drop_table("tokens")
    op.drop_table("kv")
    op.drop_table("channels")
