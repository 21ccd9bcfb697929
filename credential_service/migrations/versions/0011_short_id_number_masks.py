"""re-mask short ID numbers (passports, travel permits): at most 4 characters shown (decision 025)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

The clear numbers are sealed (the data key is not available to a migration), so the new mask is made
from the old one: it showed the first 3 and the last 4 of every number of 8 characters or more (with
11 stars, whatever the length) and only the first of shorter ones. Documents that are never shorter
than 15 characters keep their mask.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Document types whose numbers have 15 or 18 characters (identity.rules.DocumentType values).
LONG_NUMBER_TYPES = ("resident_id", "hk_mo_residence", "tw_residence", "foreign_permanent")
SHORT_MASK = "*****"


def _remasked(old: str) -> str:
    if len(old) == 18 and old[3:14] == "*" * 11:  # first 3, 11 stars, last 4: the number had 8 or more
        return old[:1] + SHORT_MASK + old[-3:]
    return old[:1] + SHORT_MASK if old else SHORT_MASK


def upgrade() -> None:
    persons = sa.table(
        "persons",
        sa.column("id", sa.Integer),
        sa.column("document_type", sa.String),
        sa.column("id_number_masked", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(persons.c.id, persons.c.id_number_masked).where(
            persons.c.document_type.not_in(LONG_NUMBER_TYPES)
        )
    ).all()
    for row_id, old in rows:
        bind.execute(persons.update().where(persons.c.id == row_id).values(id_number_masked=_remasked(old)))


def downgrade() -> None:
    """The old masks showed more; they are not brought back."""
