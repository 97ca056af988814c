"""stored files: whether the copy reached the file store (retried by the `files` job)

Revision ID: 0017
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("storedfile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("copied", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.create_index(batch_op.f("ix_storedfile_copied"), ["copied"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("storedfile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_storedfile_copied"))
        batch_op.drop_column("copied")
