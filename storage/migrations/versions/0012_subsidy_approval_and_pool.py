"""subsidy lines with their approval path; agencies' pool membership; hazard submission day

Revision ID: 0012
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _who_when(step: str) -> list[sa.Column]:
    return [
        sa.Column(f"{step}_by", sa.BigInteger(), nullable=True),
        sa.Column(f"{step}_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("agency") as batch:
        batch.add_column(sa.Column("in_pool_until", sa.Date(), nullable=True))
    with op.batch_alter_table("hazard") as batch:
        batch.add_column(sa.Column("submitted_on", sa.Date(), nullable=True))
    op.create_table(
        "subsidyline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("division", sa.String(length=9), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), sa.ForeignKey("enterprise.id"), nullable=False),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agency.id"), nullable=False),
        sa.Column("item", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("months_done", sa.Integer(), nullable=False),
        sa.Column("months_due", sa.Integer(), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("cut", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("flag_note", sa.String(length=500), nullable=False),
        *_who_when("checked"),
        *_who_when("reviewed"),
        *_who_when("approved"),
        *_who_when("published"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "enterprise_id", "agency_id", "item"),
    )
    op.create_index("ix_subsidyline_year_division", "subsidyline", ["year", "division"])


def downgrade() -> None:
    op.drop_index("ix_subsidyline_year_division", table_name="subsidyline")
    op.drop_table("subsidyline")
    with op.batch_alter_table("hazard") as batch:
        batch.drop_column("submitted_on")
    with op.batch_alter_table("agency") as batch:
        batch.drop_column("in_pool_until")
