"""workers remember the client that last claimed under their name

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Existing rows keep NULL (no claim seen yet): a worker is shown as incompatible only once a
claim of its arrived without the X-Patchwork-Worker header
(docs/decisions/0111-original-worker-is-told-not-fed.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.add_column(sa.Column("client", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.drop_column("client")
