"""supervision cases and their steps; the optional training facts the checks read (decision 036)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

The photo and device hashes are indexed: a posting's check looks up who else used them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import credential_service.core.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supervision_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("finding_key", sa.String(length=64), nullable=False),
        sa.Column("check_code", sa.String(length=48), nullable=False),
        sa.Column("check_version", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("city_code", sa.String(length=6), nullable=True),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("subjects_json", sa.Text(), nullable=False),
        sa.Column("evidence_json", sa.Text(), nullable=False),
        sa.Column("opened_by", sa.String(length=40), nullable=False),
        sa.Column("opened_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_cases")),
        sa.UniqueConstraint("finding_key", name=op.f("uq_supervision_cases_finding_key")),
        sa.UniqueConstraint("public_id", name=op.f("uq_supervision_cases_public_id")),
    )
    for column in ("check_code", "city_code", "status"):
        op.create_index(op.f(f"ix_supervision_cases_{column}"), "supervision_cases", [column], unique=False)
    op.create_table(
        "supervision_case_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["supervision_cases.id"],
            name=op.f("fk_supervision_case_steps_case_id_supervision_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_case_steps")),
    )
    op.create_index(
        op.f("ix_supervision_case_steps_case_id"), "supervision_case_steps", ["case_id"], unique=False
    )
    op.add_column("training_attendance", sa.Column("device_sha256", sa.String(length=64), nullable=True))
    op.add_column("training_attendance", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("training_attendance", sa.Column("longitude", sa.Float(), nullable=True))
    for column in ("device_sha256", "photo_sha256"):
        op.create_index(
            op.f(f"ix_training_attendance_{column}"), "training_attendance", [column], unique=False
        )
    op.add_column("training_classes", sa.Column("teacher", sa.String(length=100), nullable=True))
    op.add_column("training_classes", sa.Column("venue_capacity", sa.Integer(), nullable=True))
    op.add_column("training_classes", sa.Column("approved_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("training_classes") as batch_op:
        for column in ("approved_on", "venue_capacity", "teacher"):
            batch_op.drop_column(column)
    for column in ("photo_sha256", "device_sha256"):
        op.drop_index(op.f(f"ix_training_attendance_{column}"), table_name="training_attendance")
    with op.batch_alter_table("training_attendance") as batch_op:
        for column in ("longitude", "latitude", "device_sha256"):
            batch_op.drop_column(column)
    op.drop_index(op.f("ix_supervision_case_steps_case_id"), table_name="supervision_case_steps")
    op.drop_table("supervision_case_steps")
    for column in ("status", "city_code", "check_code"):
        op.drop_index(op.f(f"ix_supervision_cases_{column}"), table_name="supervision_cases")
    op.drop_table("supervision_cases")
