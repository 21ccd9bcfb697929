"""used one-time sign-in links of administrators and auditors

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import credential_service.core.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "used_signin_links",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("used_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_used_signin_links")),
    )
    with op.batch_alter_table("used_signin_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_used_signin_links_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("used_signin_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_used_signin_links_expires_at"))
    op.drop_table("used_signin_links")
