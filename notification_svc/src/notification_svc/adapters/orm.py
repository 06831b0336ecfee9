"""Tables of the notifications schema. All SQL of notification_svc lives in adapters/."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

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
