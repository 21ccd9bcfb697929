"""subsidy claims, officers' decisions, payments to the card account, recoveries (decision 032)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

The unique keys of ``subsidy_claims`` are what makes a repeated or concurrent claim answer with the
first instead of becoming a second one; NULL keys (a refused claim's places) never collide.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import credential_service.core.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subsidy_demo_insured_persons",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("insured_months", sa.Integer(), nullable=True),
        sa.Column("employment", sa.String(length=32), nullable=True),
        sa.Column("groups", sa.String(length=500), nullable=True),
        sa.Column("account_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_subsidy_demo_insured_persons_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_subsidy_demo_insured_persons")),
    )
    op.create_table(
        "subsidy_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("subsidy_type", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("certificate_number", sa.String(length=40), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("occupation_code", sa.String(length=10), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("training_type", sa.String(length=32), nullable=True),
        sa.Column("claimed_on", sa.Date(), nullable=False),
        sa.Column("qualifying_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rule_set_version", sa.String(length=40), nullable=False),
        sa.Column("rule_set_sha256", sa.String(length=64), nullable=False),
        sa.Column("fund", sa.String(length=60), nullable=False),
        sa.Column("decision_json", sa.Text(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=True),
        sa.Column("yearly_slot", sa.String(length=40), nullable=True),
        sa.Column("once_key", sa.String(length=40), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=False),
        sa.Column("claimed_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name=op.f("ck_subsidy_claims_amount")),
        sa.CheckConstraint(
            "certificate_number IS NOT NULL OR class_id IS NOT NULL",
            name=op.f("ck_subsidy_claims_certificate_or_class"),
        ),
        sa.ForeignKeyConstraint(
            ["class_id"], ["training_classes.id"], name=op.f("fk_subsidy_claims_class_id_training_classes")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["training_institutions.id"],
            name=op.f("fk_subsidy_claims_institution_id_training_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_subsidy_claims_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_claims")),
        sa.UniqueConstraint(
            "person_id", "subsidy_type", "certificate_number", name="uq_subsidy_claims_certificate"
        ),
        sa.UniqueConstraint("person_id", "subsidy_type", "class_id", name="uq_subsidy_claims_class"),
        sa.UniqueConstraint("person_id", "subsidy_type", "once_key", name="uq_subsidy_claims_once_key"),
        sa.UniqueConstraint("person_id", "subsidy_type", "yearly_slot", name="uq_subsidy_claims_yearly_slot"),
        sa.UniqueConstraint("public_id", name=op.f("uq_subsidy_claims_public_id")),
    )
    op.create_index(
        op.f("ix_subsidy_claims_institution_id"), "subsidy_claims", ["institution_id"], unique=False
    )
    op.create_index(op.f("ix_subsidy_claims_person_id"), "subsidy_claims", ["person_id"], unique=False)
    op.create_index(op.f("ix_subsidy_claims_state"), "subsidy_claims", ["state"], unique=False)
    op.create_table(
        "subsidy_claim_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("officer", sa.String(length=100), nullable=False),
        sa.Column("decided_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["subsidy_claims.id"],
            name=op.f("fk_subsidy_claim_decisions_claim_id_subsidy_claims"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_claim_decisions")),
        sa.UniqueConstraint("claim_id", name=op.f("uq_subsidy_claim_decisions_claim_id")),
    )
    op.create_table(
        "subsidy_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("certificate_number", sa.String(length=40), nullable=True),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("fund", sa.String(length=60), nullable=False),
        sa.Column("account_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("account_masked", sa.String(length=40), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("paid_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("file_entry_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_subsidy_payments_amount")),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["subsidy_claims.id"], name=op.f("fk_subsidy_payments_claim_id_subsidy_claims")
        ),
        sa.ForeignKeyConstraint(
            ["file_entry_id"],
            ["file_entries.id"],
            name=op.f("fk_subsidy_payments_file_entry_id_file_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_subsidy_payments_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_payments")),
        sa.UniqueConstraint("claim_id", name=op.f("uq_subsidy_payments_claim_id")),
    )
    op.create_index(
        op.f("ix_subsidy_payments_certificate_number"),
        "subsidy_payments",
        ["certificate_number"],
        unique=False,
    )
    op.create_index(op.f("ix_subsidy_payments_person_id"), "subsidy_payments", ["person_id"], unique=False)
    op.create_table(
        "subsidy_recoveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("certificate_number", sa.String(length=40), nullable=False),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("cause_reason_code", sa.String(length=40), nullable=True),
        sa.Column("flagged_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("resolved_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["subsidy_payments.id"],
            name=op.f("fk_subsidy_recoveries_payment_id_subsidy_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsidy_recoveries")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_subsidy_recoveries_payment_id")),
    )
    op.create_index(op.f("ix_subsidy_recoveries_state"), "subsidy_recoveries", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_subsidy_recoveries_state"), table_name="subsidy_recoveries")
    op.drop_table("subsidy_recoveries")
    op.drop_index(op.f("ix_subsidy_payments_person_id"), table_name="subsidy_payments")
    op.drop_index(op.f("ix_subsidy_payments_certificate_number"), table_name="subsidy_payments")
    op.drop_table("subsidy_payments")
    op.drop_table("subsidy_claim_decisions")
    op.drop_index(op.f("ix_subsidy_claims_state"), table_name="subsidy_claims")
    op.drop_index(op.f("ix_subsidy_claims_person_id"), table_name="subsidy_claims")
    op.drop_index(op.f("ix_subsidy_claims_institution_id"), table_name="subsidy_claims")
    op.drop_table("subsidy_claims")
    op.drop_table("subsidy_demo_insured_persons")
