"""QR tokens and rendered QR images per certificate

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import credential_service.core.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificate_qr_codes",
        sa.Column("credential_id", sa.String(length=255), nullable=False),
        sa.Column("token", sa.String(length=300), nullable=False),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.Column("svg", sa.Text(), nullable=False),
        sa.Column("created_at", credential_service.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["issued_credentials.credential_id"],
            name=op.f("fk_certificate_qr_codes_credential_id_issued_credentials"),
        ),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_certificate_qr_codes")),
        sa.UniqueConstraint("token", name=op.f("uq_certificate_qr_codes_token")),
    )


def downgrade() -> None:
    op.drop_table("certificate_qr_codes")
