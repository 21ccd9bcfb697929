"""payments imported from an external payment system carry its reference (issue 13, decision 037)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subsidy_payments") as batch:
        batch.add_column(sa.Column("external_ref", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(op.f("uq_subsidy_payments_external_ref"), ["external_ref"])


def downgrade() -> None:
    with op.batch_alter_table("subsidy_payments") as batch:
        batch.drop_constraint(op.f("uq_subsidy_payments_external_ref"), type_="unique")
        batch.drop_column("external_ref")
