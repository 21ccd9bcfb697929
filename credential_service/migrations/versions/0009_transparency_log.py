"""transparency log leaves and signed checkpoints

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27

Credentials issued before this revision are appended to the new log in the order they were stored,
each logged at its recorded issuance time, so that every issued credential is in the log; the first
checkpoint signed afterwards (at start-up, by the schedule or ``credential-service log checkpoint``)
covers them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import credential_service.core.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transparency_log_leaves",
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("credential_id", sa.String(length=255), nullable=True),
        sa.Column("logged_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("leaf_data", sa.Text(), nullable=False),
        sa.Column("leaf_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_transparency_log_leaves")),
    )
    with op.batch_alter_table("transparency_log_leaves", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transparency_log_leaves_credential_id"), ["credential_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_transparency_log_leaves_leaf_hash"), ["leaf_hash"], unique=False)

    op.create_table(
        "transparency_log_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("node_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("node_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("level", "node_index", name=op.f("pk_transparency_log_nodes")),
    )
    op.create_table(
        "transparency_log_checkpoints",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", credential_service.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=255), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_transparency_log_checkpoints")),
    )
    _log_credentials_issued_before()


def _log_credentials_issued_before() -> None:
    """Append every stored credential (oldest first) as a ``credential.issued`` leaf."""
    from credential_service.core.clock import to_xsd
    from credential_service.crypto.jcs import canonical_json
    from credential_service.crypto import merkle

    utc = credential_service.core.db.UTCDateTime()
    issued = sa.table(
        "issued_credentials",
        sa.column("id", sa.Integer()),
        sa.column("credential_id", sa.String()),
        sa.column("issuer_id", sa.Integer()),
        sa.column("digest", sa.String()),
        sa.column("verification_method", sa.String()),
        sa.column("issued_at", utc),
    )
    issuers = sa.table("issuers", sa.column("id", sa.Integer()), sa.column("did", sa.String()))
    leaves = sa.table(
        "transparency_log_leaves",
        sa.column("leaf_index", sa.BigInteger()),
        sa.column("kind", sa.String()),
        sa.column("credential_id", sa.String()),
        sa.column("logged_at", utc),
        sa.column("leaf_data", sa.Text()),
        sa.column("leaf_hash", sa.String()),
    )
    nodes = sa.table(
        "transparency_log_nodes",
        sa.column("level", sa.Integer()),
        sa.column("node_index", sa.BigInteger()),
        sa.column("node_hash", sa.String()),
    )
    bind = op.get_bind()
    tree = merkle.CompactTree()
    last_id = 0
    while True:  # pages of 5,000, so a large database is not read into memory at once
        page = bind.execute(
            sa.select(
                issued.c.id,
                issued.c.credential_id,
                issued.c.digest,
                issuers.c.did,
                issued.c.verification_method,
                issued.c.issued_at,
            )
            .select_from(issued.join(issuers, issuers.c.id == issued.c.issuer_id))
            .where(issued.c.id > last_id)
            .order_by(issued.c.id)
            .limit(5000)
        ).all()
        if not page:
            break
        leaf_rows: list[dict[str, object]] = []
        node_rows: list[dict[str, object]] = []
        for row_id, credential_id, digest, issuer, method, issued_at in page:
            last_id = row_id
            data = canonical_json(
                {
                    "credentialId": credential_id,
                    "digest": digest,
                    "issuer": issuer,
                    "verificationMethod": method,
                    "kind": "credential.issued",
                    "loggedAt": to_xsd(issued_at),
                }
            ).decode("utf-8")
            hashed = merkle.leaf_hash(data.encode("utf-8"))
            leaf_rows.append(
                {
                    "leaf_index": tree.size,
                    "kind": "credential.issued",
                    "credential_id": credential_id,
                    "logged_at": issued_at,
                    "leaf_data": data,
                    "leaf_hash": hashed.hex(),
                }
            )
            node_rows += [
                {"level": level, "node_index": index, "node_hash": value.hex()}
                for (level, index), value in tree.append(hashed)
            ]
        op.bulk_insert(leaves, leaf_rows)
        op.bulk_insert(nodes, node_rows)


def downgrade() -> None:
    op.drop_table("transparency_log_checkpoints")
    op.drop_table("transparency_log_nodes")
    with op.batch_alter_table("transparency_log_leaves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transparency_log_leaves_leaf_hash"))
        batch_op.drop_index(batch_op.f("ix_transparency_log_leaves_credential_id"))

    op.drop_table("transparency_log_leaves")
