"""tender profile: buyer kind, AI Act art. 50, health and SREN data, launch date, lots reason

Existing tenders get defaults (buyer kind "autre", every new flag off, no launch date) and
`profile_confirmed` false, so the compliance check asks the buyer to confirm them.

Revision ID: 0004_tender_profile
Revises: 0003_clause_review
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004_tender_profile"
down_revision = "0003_clause_review"
branch_labels = None
depends_on = None

_FLAGS = (
    "interacts_with_people",
    "health_data",
    "particularly_sensitive_data",
    "defence_or_security",
)


def upgrade() -> None:
    with op.batch_alter_table("tender", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "buyer_kind",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="autre",
            )
        )
        for flag in _FLAGS:
            batch_op.add_column(
                sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false())
            )
        batch_op.add_column(sa.Column("launch_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "lots_reason",
                sqlmodel.sql.sqltypes.AutoString(length=2000),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "hosting_security_reason",
                sqlmodel.sql.sqltypes.AutoString(length=2000),
                nullable=False,
                server_default="",
            )
        )
        # Rows that exist now were never confirmed; new rows are written by the services.
        batch_op.add_column(
            sa.Column("profile_confirmed", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("tender", schema=None) as batch_op:
        for name in (
            "profile_confirmed",
            "hosting_security_reason",
            "lots_reason",
            "launch_date",
            *reversed(_FLAGS),
            "buyer_kind",
        ):
            batch_op.drop_column(name)
