"""notice channels: WeCom and DingTalk robots and email addresses; outbox rows name theirs

Revision ID: 0016
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("jurisdiction", sa.String(length=9), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("topics", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("paused_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_channel_jurisdiction", "channel", ["jurisdiction"])
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("channel_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_outbox_channel_id", ["channel_id"])
        batch_op.create_foreign_key("fk_outbox_channel_id", "channel", ["channel_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_constraint("fk_outbox_channel_id", type_="foreignkey")
        batch_op.drop_index("ix_outbox_channel_id")
        batch_op.drop_column("channel_id")
    op.drop_index("ix_channel_jurisdiction", table_name="channel")
    op.drop_table("channel")
