"""sourcing: SIRENE continuity of suppliers (administrative status, creation date)

Revision ID: 0006_sourcing
Revises: 0005_security
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006_sourcing"
down_revision = "0005_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("supplier", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "activity_status",
                sqlmodel.sql.sqltypes.AutoString(length=1),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("founded_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("supplier", schema=None) as batch_op:
        batch_op.drop_column("founded_on")
        batch_op.drop_column("activity_status")
