"""webhooks: partners' endpoints, the messages kept for them, their deliveries, whose event is whose

``webhook_deliveries`` is unique per (endpoint, message): a replayed Kafka message is not delivered
twice. ``next_attempt_at`` is what the delivery loop waits on (it survives restarts).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "notifications"
UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("organization_id", UUID, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("types", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("previous_secret", sa.Text),
        sa.Column("previous_secret_until", TS),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("disabled_reason", sa.Text),
        sa.Column("failing_since", TS),
        sa.Column("created_by", UUID),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        schema=S,
    )
    op.create_index(
        "ix_webhook_endpoints_organization", "webhook_endpoints", ["organization_id", "id"], schema=S
    )
    op.create_table(
        "event_owners",
        sa.Column("event_id", UUID, primary_key=True),
        sa.Column("organization_id", UUID, nullable=False),
        schema=S,
    )
    op.create_table(
        "webhook_messages",
        sa.Column("message_id", UUID, primary_key=True),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("organization_id", UUID),
        sa.Column("envelope", postgresql.JSONB, nullable=False),
        sa.Column("received_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("routed_at", TS),
        schema=S,
    )
    op.create_index(
        "ix_webhook_messages_unrouted",
        "webhook_messages",
        ["received_at"],
        schema=S,
        postgresql_where=sa.text("routed_at IS NULL"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", UUID, primary_key=True),
        sa.Column(
            "endpoint_id",
            UUID,
            sa.ForeignKey(f"{S}.webhook_endpoints.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("message_id", UUID, sa.ForeignKey(f"{S}.webhook_messages.message_id"), nullable=False),
        sa.Column("webhook_type", sa.Text, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("window_start", TS),
        sa.Column("last_attempt_at", TS),
        sa.Column("last_status_code", sa.Integer),
        sa.Column("last_latency_ms", sa.Integer),
        sa.Column("last_response", sa.Text),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("endpoint_id", "message_id", name="uq_webhook_deliveries_message"),
        schema=S,
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_deliveries_log", "webhook_deliveries", ["endpoint_id", "created_at", "id"], schema=S
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries", schema=S)
    op.drop_table("webhook_messages", schema=S)
    op.drop_table("event_owners", schema=S)
    op.drop_table("webhook_endpoints", schema=S)
