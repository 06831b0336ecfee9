"""baseline: the identity schema, owned by identity_svc alone

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # env.py creates the schema before Alembic writes its version table there; stating it here keeps
    # the history complete when the schema is dropped and rebuilt from revision zero.
    op.execute('CREATE SCHEMA IF NOT EXISTS "identity"')


def downgrade() -> None:
    pass
