"""employment figures per city and year, the denominators of the skilled share (issue 14, decision 038)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import credential_service.core.db

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "employment_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("employed", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("loaded_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("employed > 0", name=op.f("ck_employment_figures_employed")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employment_figures")),
        sa.UniqueConstraint("city_code", "year", name="uq_employment_figures_city_year"),
    )


def downgrade() -> None:
    op.drop_table("employment_figures")
