"""sale settings: payment minutes of an order, re-entry at the door, ticket transfers

Columns of ``events`` like the other sale settings (0007), with server defaults so existing events
get the defaults the domain gives a new one: 10 payment minutes, no re-entry, transfers allowed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "catalog"


def upgrade() -> None:
    op.add_column(
        "events", sa.Column("payment_minutes", sa.Integer, nullable=False, server_default="10"), schema=SCHEMA
    )
    op.add_column(
        "events",
        sa.Column("reentry_allowed", sa.Boolean, nullable=False, server_default=sa.false()),
        schema=SCHEMA,
    )
    op.add_column(
        "events",
        sa.Column("transfers_allowed", sa.Boolean, nullable=False, server_default=sa.true()),
        schema=SCHEMA,
    )
    op.create_check_constraint(
        "ck_events_payment_minutes", "events", "payment_minutes BETWEEN 1 AND 60", schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_constraint("ck_events_payment_minutes", "events", schema=SCHEMA)
    for column in ("transfers_allowed", "reentry_allowed", "payment_minutes"):
        op.drop_column("events", column, schema=SCHEMA)
