"""organisation client-held public keys, content-signature evidence, sheet identities

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import credential_service.core.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation_client_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=128), nullable=False),
        sa.Column("public_key_multibase", sa.String(length=64), nullable=False),
        sa.Column("created_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.Column("revocation_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_client_keys_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_client_keys")),
        sa.UniqueConstraint(
            "organisation_id", "kid", name=op.f("uq_organisation_client_keys_organisation_id")
        ),
        sa.UniqueConstraint(
            "public_key_multibase", name=op.f("uq_organisation_client_keys_public_key_multibase")
        ),
    )
    op.create_table(
        "sheet_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.String(length=36), nullable=False),
        sa.Column("identity_key", sa.String(length=64), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheet_identities")),
        sa.UniqueConstraint("sheet_id", "identity_key", name=op.f("uq_sheet_identities_sheet_id")),
    )
    with op.batch_alter_table("result_submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_signature", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("client_key_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_result_submissions_client_key_id_organisation_client_keys"),
            "organisation_client_keys",
            ["client_key_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("result_submissions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_result_submissions_client_key_id_organisation_client_keys"), type_="foreignkey"
        )
        batch_op.drop_column("client_key_id")
        batch_op.drop_column("client_signature")
    op.drop_table("sheet_identities")
    op.drop_table("organisation_client_keys")
