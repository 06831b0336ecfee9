"""how an event sells: on-sale time, hold minutes, per-customer and per-order limits, waiting room

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "catalog"


def upgrade() -> None:
    op.add_column("events", sa.Column("on_sale_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA)
    op.add_column(
        "events", sa.Column("hold_minutes", sa.Integer, nullable=False, server_default="10"), schema=SCHEMA
    )
    op.add_column("events", sa.Column("max_per_customer", sa.Integer, nullable=True), schema=SCHEMA)
    op.add_column(
        "events",
        sa.Column("waiting_room", sa.Boolean, nullable=False, server_default=sa.false()),
        schema=SCHEMA,
    )
    op.add_column(
        "events",
        sa.Column("admission_per_minute", sa.Integer, nullable=False, server_default="300"),
        schema=SCHEMA,
    )
    op.create_check_constraint(
        "ck_events_hold_minutes", "events", "hold_minutes BETWEEN 2 AND 30", schema=SCHEMA
    )
    op.create_check_constraint(
        "ck_events_max_per_customer",
        "events",
        "max_per_customer IS NULL OR max_per_customer > 0",
        schema=SCHEMA,
    )
    op.create_check_constraint(
        "ck_events_admission_per_minute", "events", "admission_per_minute > 0", schema=SCHEMA
    )
    op.add_column(
        "zones", sa.Column("max_per_order", sa.Integer, nullable=False, server_default="10"), schema=SCHEMA
    )
    op.create_check_constraint(
        "ck_zones_max_per_order", "zones", "max_per_order BETWEEN 1 AND 100", schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_constraint("ck_zones_max_per_order", "zones", schema=SCHEMA)
    op.drop_column("zones", "max_per_order", schema=SCHEMA)
    for name in ("ck_events_admission_per_minute", "ck_events_max_per_customer", "ck_events_hold_minutes"):
        op.drop_constraint(name, "events", schema=SCHEMA)
    for column in ("admission_per_minute", "waiting_room", "max_per_customer", "hold_minutes", "on_sale_at"):
        op.drop_column("events", column, schema=SCHEMA)
