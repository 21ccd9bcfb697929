"""subsidy rule sets: the loaded, dated versions of each subsidy type's rules (decision 031)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import credential_service.core.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subsidy_rule_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subsidy_type", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("source_document", sa.String(length=1000), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("canonical_json", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name=op.f("ck_subsidy_rule_sets_dates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_rule_sets")),
        sa.UniqueConstraint("subsidy_type", "valid_from", name="uq_subsidy_rule_sets_start"),
        sa.UniqueConstraint("subsidy_type", "version", name="uq_subsidy_rule_sets_version"),
    )


def downgrade() -> None:
    op.drop_table("subsidy_rule_sets")
