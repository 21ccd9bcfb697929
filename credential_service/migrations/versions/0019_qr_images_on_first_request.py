"""QR images drawn on first request: png and svg empty until then (issue 15, decision 044)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("certificate_qr_codes") as batch:
        batch.alter_column("png", existing_type=sa.LargeBinary(), nullable=True)
        batch.alter_column("svg", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    # Before 0019 a QR code was kept only drawn: forget the undrawn ones (their token is signed again
    # and drawn on the next request for it).
    op.execute("DELETE FROM certificate_qr_codes WHERE png IS NULL OR svg IS NULL")
    with op.batch_alter_table("certificate_qr_codes") as batch:
        batch.alter_column("png", existing_type=sa.LargeBinary(), nullable=False)
        batch.alter_column("svg", existing_type=sa.Text(), nullable=False)
