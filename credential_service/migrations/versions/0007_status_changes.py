"""certificate status changes (revoke, suspend, reinstate, supersede)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import credential_service.core.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificate_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=255), nullable=False),
        sa.Column("certificate_number", sa.String(length=22), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("reason_code", sa.String(length=20), nullable=True),
        sa.Column("evidence", sa.String(length=200), nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("actor_role", sa.String(length=12), nullable=False),
        sa.Column("changed_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("superseded_by", sa.String(length=22), nullable=True),
        sa.Column("batch_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["issued_credentials.credential_id"],
            name=op.f("fk_certificate_status_changes_credential_id_issued_credentials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_status_changes")),
    )
    with op.batch_alter_table("certificate_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certificate_status_changes_certificate_number"),
            ["certificate_number"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_certificate_status_changes_credential_id"), ["credential_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("certificate_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_status_changes_credential_id"))
        batch_op.drop_index(batch_op.f("ix_certificate_status_changes_certificate_number"))

    op.drop_table("certificate_status_changes")
