"""refresh_tokens.scope: a refresh keeps the scope the sign-in was granted

NULL (every family issued before this revision, and sign-ins that asked for no scope) means the
user's role's default scopes at the time of the refresh.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "identity"


def upgrade() -> None:
    op.add_column("refresh_tokens", sa.Column("scope", sa.Text(), nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("refresh_tokens", "scope", schema=SCHEMA)
