"""waiting lists of sold-out zones: their entries, and how many wait per session x zone

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "ticketing"
UUID = postgresql.UUID(as_uuid=True)
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "inventory",
        sa.Column("waiting", sa.Integer, nullable=False, server_default=sa.text("0")),
        schema=SCHEMA,
    )
    op.create_check_constraint("ck_inventory_waiting", "inventory", "waiting >= 0", schema=SCHEMA)
    op.execute(f"CREATE SEQUENCE {SCHEMA}.waitlist_position_seq AS bigint")
    op.create_table(
        "waitlist_entries",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("zone_id", UUID, nullable=False),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column(
            "position",
            sa.BigInteger,
            nullable=False,
            server_default=sa.text(f"nextval('{SCHEMA}.waitlist_position_seq')"),
        ),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("offered_at", TIMESTAMP, nullable=True),
        sa.Column("offer_reservation_id", UUID, sa.ForeignKey(f"{SCHEMA}.reservations.id"), nullable=True),
        sa.Column("offer_expires_at", TIMESTAMP, nullable=True),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "status IN ('waiting', 'offered', 'fulfilled', 'expired', 'left')", name="ck_waitlist_status"
        ),
        sa.CheckConstraint("quantity > 0", name="ck_waitlist_quantity"),
        sa.CheckConstraint(
            "status <> 'offered' OR offer_reservation_id IS NOT NULL", name="ck_waitlist_offered"
        ),
        schema=SCHEMA,
    )
    op.execute(f"ALTER SEQUENCE {SCHEMA}.waitlist_position_seq OWNED BY {SCHEMA}.waitlist_entries.position")
    # One active entry per account and zone of a session: concurrent joins make one.
    op.create_index(
        "ux_waitlist_active",
        "waitlist_entries",
        ["customer_id", "session_id", "zone_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status IN ('waiting', 'offered')"),
    )
    op.create_index(
        "ix_waitlist_line",
        "waitlist_entries",
        ["session_id", "zone_id", "position"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'waiting'"),
    )
    op.create_index(
        "ix_waitlist_offer",
        "waitlist_entries",
        ["offer_reservation_id"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'offered'"),
    )
    op.create_index(
        "ix_waitlist_customer",
        "waitlist_entries",
        ["customer_id", sa.text("created_at DESC"), sa.text("id DESC")],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_waitlist_event",
        "waitlist_entries",
        ["event_id"],
        schema=SCHEMA,
        postgresql_where=sa.text("status IN ('waiting', 'offered')"),
    )


def downgrade() -> None:
    op.drop_table("waitlist_entries", schema=SCHEMA)
    op.execute(f"DROP SEQUENCE IF EXISTS {SCHEMA}.waitlist_position_seq")
    op.drop_constraint("ck_inventory_waiting", "inventory", schema=SCHEMA)
    op.drop_column("inventory", "waiting", schema=SCHEMA)
