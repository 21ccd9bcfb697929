"""rate-limit buckets shared by every process and host (issue 16)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_buckets",
        sa.Column("limit_name", sa.String(length=20), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("limit_name", "client", name=op.f("pk_rate_limit_buckets")),
    )
    op.create_index(op.f("ix_rate_limit_buckets_at"), "rate_limit_buckets", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_rate_limit_buckets_at"), table_name="rate_limit_buckets")
    op.drop_table("rate_limit_buckets")
