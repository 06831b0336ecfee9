"""Tables of the notifications schema. All SQL of notification_svc lives in adapters/."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from notification_svc.config import SCHEMA

metadata = MetaData(schema=SCHEMA)

# Every message that caused notifications, kept as received: the primary key is the idempotency
# record, and retries rebuild the email from it.
inbox = Table(
    "inbox",
    metadata,
    Column("message_id", UUID(as_uuid=True), primary_key=True),
    Column("envelope", JSONB, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("message_id", UUID(as_uuid=True), ForeignKey(inbox.c.message_id), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("correlation_id", UUID(as_uuid=True), nullable=False),
    Column("payload_sha256", Text, nullable=False),
    Column("recipient_role", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("sending_since", DateTime(timezone=True), nullable=True),
    UniqueConstraint("message_id", "recipient_role", "channel", name="uq_notifications_delivery"),
)
Index("ix_notifications_status_created", notifications.c.status, notifications.c.created_at.desc())
Index("ix_notifications_event", notifications.c.event_id, notifications.c.created_at.desc())

# ---------------------------------------------------------------- webhooks (migration 0004)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organization_id", UUID(as_uuid=True), nullable=False),
    Column("url", Text, nullable=False),
    Column("types", ARRAY(Text), nullable=False),
    Column("description", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("previous_secret", Text),
    Column("previous_secret_until", DateTime(timezone=True)),
    Column("status", Text, nullable=False),
    Column("disabled_reason", Text),
    Column("failing_since", DateTime(timezone=True)),
    Column("created_by", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_webhook_endpoints_organization", webhook_endpoints.c.organization_id, webhook_endpoints.c.id)

# Which organization each event belongs to, learned from the catalog's (and orders') messages.
event_owners = Table(
    "event_owners",
    metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("organization_id", UUID(as_uuid=True), nullable=False),
)

# Messages with a webhook type, kept as received (the primary key is the idempotency record) until
# routed to their organization's endpoints.
webhook_messages = Table(
    "webhook_messages",
    metadata,
    Column("message_id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("type", Text, nullable=False),
    Column("organization_id", UUID(as_uuid=True)),
    Column("envelope", JSONB, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("routed_at", DateTime(timezone=True)),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column(
        "endpoint_id",
        UUID(as_uuid=True),
        ForeignKey(webhook_endpoints.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    Column("message_id", UUID(as_uuid=True), ForeignKey(webhook_messages.c.message_id), nullable=False),
    Column("webhook_type", Text, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("window_start", DateTime(timezone=True)),
    Column("last_attempt_at", DateTime(timezone=True)),
    Column("last_status_code", Integer),
    Column("last_latency_ms", Integer),
    Column("last_response", Text),
    Column("last_error", Text),
    UniqueConstraint("endpoint_id", "message_id", name="uq_webhook_deliveries_message"),
)
