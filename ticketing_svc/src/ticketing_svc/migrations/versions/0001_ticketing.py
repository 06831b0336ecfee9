"""ticketing schema: catalog copy, inventory, reservations, customers' places, inbox and outbox

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "ticketing"
UUID = postgresql.UUID(as_uuid=True)
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("message_id", UUID, nullable=False, unique=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("envelope", postgresql.JSONB, nullable=False),
        sa.Column("traceparent", sa.Text, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", TIMESTAMP, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text, nullable=True),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        schema=SCHEMA,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "catalog_events",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("document", postgresql.JSONB, nullable=False),
        sa.Column("read_through", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "catalog_sessions",
        sa.Column("id", UUID, primary_key=True),
        sa.Column(
            "event_id", UUID, sa.ForeignKey(f"{SCHEMA}.catalog_events.id", ondelete="CASCADE"), nullable=False
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_catalog_sessions_event", "catalog_sessions", ["event_id"], schema=SCHEMA)
    op.create_table(
        "inventory",
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("zone_id", UUID, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("held", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("sold", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.PrimaryKeyConstraint("session_id", "zone_id", name="pk_inventory"),
        sa.CheckConstraint("held >= 0 AND sold >= 0 AND held + sold <= capacity", name="ck_inventory_counts"),
        schema=SCHEMA,
    )
    op.create_index("ix_inventory_event", "inventory", ["event_id"], schema=SCHEMA)
    op.create_table(
        "reservations",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("event_name", sa.Text, nullable=False),
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("items", postgresql.JSONB, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("total_amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.Column("idempotency_key", sa.Text, nullable=True),
        sa.Column("request_fingerprint", sa.Text, nullable=True),
        sa.CheckConstraint("status IN ('held', 'released', 'expired')", name="ck_reservations_status"),
        sa.CheckConstraint("quantity > 0", name="ck_reservations_quantity"),
        sa.CheckConstraint("total_amount >= 0", name="ck_reservations_total"),
        sa.CheckConstraint("(status = 'held') = (ended_at IS NULL)", name="ck_reservations_ended"),
        schema=SCHEMA,
    )
    op.create_index(
        "ux_reservations_idempotency",
        "reservations",
        ["customer_id", "idempotency_key"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.create_index(
        "ix_reservations_due",
        "reservations",
        ["expires_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'held'"),
    )
    op.create_index(
        "ix_reservations_customer",
        "reservations",
        ["customer_id", sa.text("created_at DESC"), sa.text("id DESC")],
        schema=SCHEMA,
    )
    op.create_table(
        "customer_places",
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("places", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("event_id", "customer_id", name="pk_customer_places"),
        sa.CheckConstraint("places >= 0", name="ck_customer_places"),
        schema=SCHEMA,
    )
    op.create_table(
        "inbox",
        sa.Column("message_id", UUID, primary_key=True),
        sa.Column("message_type", sa.Text, nullable=False),
        sa.Column("handled_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index("ix_inbox_handled", "inbox", ["handled_at"], schema=SCHEMA)


def downgrade() -> None:
    for table in (
        "inbox",
        "customer_places",
        "reservations",
        "inventory",
        "catalog_sessions",
        "catalog_events",
        "outbox",
    ):
        op.drop_table(table, schema=SCHEMA)
