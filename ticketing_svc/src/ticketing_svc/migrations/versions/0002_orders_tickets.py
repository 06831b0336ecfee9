"""orders, tickets, refunds and the payment provider's notices; reservations can be purchased

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "ticketing"
UUID = postgresql.UUID(as_uuid=True)
TIMESTAMP = sa.DateTime(timezone=True)
ORDER_STATUSES = (
    "'pending_payment', 'paid', 'partially_refunded', 'refunded', 'failed', 'expired', 'cancelled'"
)


def upgrade() -> None:
    op.drop_constraint("ck_reservations_status", "reservations", schema=SCHEMA)
    op.create_check_constraint(
        "ck_reservations_status",
        "reservations",
        "status IN ('held', 'released', 'expired', 'purchased')",
        schema=SCHEMA,
    )
    op.create_table(
        "orders",
        sa.Column("id", UUID, primary_key=True),
        sa.Column(
            "reservation_id", UUID, sa.ForeignKey(f"{SCHEMA}.reservations.id"), nullable=False, unique=True
        ),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("organization_id", UUID, nullable=False),
        sa.Column("event_name", sa.Text, nullable=False),
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("items", postgresql.JSONB, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("total_amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("refunded_amount", sa.Numeric(12, 2), nullable=False, server_default=sa.text("0")),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("buyer_name", sa.Text, nullable=False),
        sa.Column("buyer_email", sa.Text, nullable=False),
        sa.Column("buyer_locale", sa.Text, nullable=False),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("payment_reference", sa.Text, nullable=True, unique=True),
        sa.Column("checkout_url", sa.Text, nullable=True),
        sa.Column("failure_code", sa.Text, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("pay_by", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("paid_at", TIMESTAMP, nullable=True),
        sa.Column("reconciled_at", TIMESTAMP, nullable=True),
        sa.Column("idempotency_key", sa.Text, nullable=True),
        sa.Column("request_fingerprint", sa.Text, nullable=True),
        sa.CheckConstraint(f"status IN ({ORDER_STATUSES})", name="ck_orders_status"),
        sa.CheckConstraint("quantity > 0", name="ck_orders_quantity"),
        sa.CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= total_amount", name="ck_orders_refunded"
        ),
        sa.CheckConstraint(
            "(status IN ('paid', 'partially_refunded', 'refunded')) = (paid_at IS NOT NULL)",
            name="ck_orders_paid",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ux_orders_idempotency",
        "orders",
        ["customer_id", "idempotency_key"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.create_index(
        "ix_orders_customer",
        "orders",
        ["customer_id", sa.text("created_at DESC"), sa.text("id DESC")],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_orders_event",
        "orders",
        ["event_id", sa.text("created_at DESC"), sa.text("id DESC")],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_orders_unsettled",
        "orders",
        ["created_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("status IN ('pending_payment', 'failed', 'expired', 'cancelled')"),
    )
    op.create_table(
        "tickets",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("order_id", UUID, sa.ForeignKey(f"{SCHEMA}.orders.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("event_name", sa.Text, nullable=False),
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("zone_id", UUID, nullable=False),
        sa.Column("zone_name", sa.Text, nullable=False),
        sa.Column("holder_name", sa.Text, nullable=False),
        sa.Column("price_amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("issued_at", TIMESTAMP, nullable=False),
        sa.Column("secret", sa.Text, nullable=False, unique=True),
        sa.UniqueConstraint("order_id", "position", name="uq_tickets_order_position"),
        sa.CheckConstraint("status IN ('valid', 'revoked', 'used')", name="ck_tickets_status"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_tickets_customer",
        "tickets",
        ["customer_id", sa.text("issued_at DESC"), sa.text("id DESC")],
        schema=SCHEMA,
    )
    op.create_index("ix_tickets_session", "tickets", ["session_id"], schema=SCHEMA)
    op.create_table(
        "refunds",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("order_id", UUID, sa.ForeignKey(f"{SCHEMA}.orders.id"), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("ticket_ids", postgresql.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("requested_at", TIMESTAMP, nullable=False),
        sa.Column("provider_refund_id", sa.Text, nullable=True, unique=True),
        sa.Column("settled_at", TIMESTAMP, nullable=True),
        sa.Column("idempotency_key", sa.Text, nullable=True),
        sa.Column("request_fingerprint", sa.Text, nullable=True),
        sa.CheckConstraint("amount > 0", name="ck_refunds_amount"),
        sa.CheckConstraint("status IN ('requested', 'succeeded', 'failed')", name="ck_refunds_status"),
        schema=SCHEMA,
    )
    op.create_index("ix_refunds_order", "refunds", ["order_id"], schema=SCHEMA)
    op.create_index(
        "ux_refunds_idempotency",
        "refunds",
        ["order_id", "idempotency_key"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.create_index(
        "ix_refunds_requested",
        "refunds",
        ["requested_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'requested'"),
    )
    op.create_index(
        "ux_refunds_cancellation",
        "refunds",
        ["order_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("reason = 'event_cancelled'"),
    )
    op.create_table(
        "cancellations",
        sa.Column("event_id", UUID, primary_key=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_cancellations_running",
        "cancellations",
        ["started_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("finished_at IS NULL"),
    )
    op.create_table(
        "payment_notices",
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("notice_id", sa.Text, nullable=False),
        sa.Column("notice_type", sa.Text, nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("provider", "notice_id", name="pk_payment_notices"),
        schema=SCHEMA,
    )
    op.create_index("ix_payment_notices_received", "payment_notices", ["received_at"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("payment_notices", "cancellations", "refunds", "tickets", "orders"):
        op.drop_table(table, schema=SCHEMA)
    op.execute(f"UPDATE {SCHEMA}.reservations SET status = 'expired' WHERE status = 'purchased'")
    op.drop_constraint("ck_reservations_status", "reservations", schema=SCHEMA)
    op.create_check_constraint(
        "ck_reservations_status", "reservations", "status IN ('held', 'released', 'expired')", schema=SCHEMA
    )
