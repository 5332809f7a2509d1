"""clause dependencies: clause_version.depends, and the immutability triggers that cover it

Revision ID: 0003_clause_review
Revises: 0002_rooms
Create Date: 2026-12-01 13:20:00
"""

import sqlalchemy as sa
from alembic import op

from procure.clause_library.models import CLAUSE_TRIGGERS

revision = "0003_clause_review"
down_revision = "0002_rooms"
branch_labels = None
depends_on = None

_DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS clause_version_immutable",
        "DROP TRIGGER IF EXISTS clause_version_no_delete",
    ],
    "postgresql": ["DROP TRIGGER IF EXISTS clause_version_immutable ON clause_version"],
}


def _drop_triggers() -> None:
    for statement in _DROP.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def upgrade() -> None:
    # The triggers list every content column: drop them, add the column, create them again.
    _drop_triggers()
    op.add_column(
        "clause_version",
        sa.Column("depends", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    with op.batch_alter_table("clause_version", schema=None) as batch_op:
        batch_op.alter_column("depends", server_default=None)
    for statement in CLAUSE_TRIGGERS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    _drop_triggers()
    with op.batch_alter_table("clause_version", schema=None) as batch_op:
        batch_op.drop_column("depends")
