"""notifications: the sending lease

``sending_since`` is committed before a notification is handed to its channel and cleared with the
outcome. A process that dies in between leaves it behind; the next attempt that finds it expired
gives the notification up as interrupted (it may have been delivered) instead of sending it twice.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notifications"


def upgrade() -> None:
    op.add_column(
        "notifications", sa.Column("sending_since", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_column("notifications", "sending_since", schema=SCHEMA)
