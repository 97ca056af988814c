"""invite codes stored only as keyed hashes

Revision ID: 0010
Revises: 0016
Create Date: 2026-11-25 18:10:00

Invites created before this revision held their code in clear. Their rows are kept (who
accepted what) but the code is replaced by a value no code hashes to: an unused old invite
can no longer be redeemed and must be issued again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE invite RENAME COLUMN code TO code_hash")  # SQLite ignores lengths
    else:
        op.alter_column("invite", "code", new_column_name="code_hash", type_=sa.String(64))
    op.execute("UPDATE invite SET code_hash = 'retired:' || CAST(id AS VARCHAR(20))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE invite RENAME COLUMN code_hash TO code")
    else:
        op.alter_column("invite", "code_hash", new_column_name="code", type_=sa.String(64))
