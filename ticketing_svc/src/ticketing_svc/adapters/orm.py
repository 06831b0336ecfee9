"""Tables of the ticketing schema. All SQL of ticketing_svc lives in adapters/.

Timestamps are ``timestamptz`` in UTC; money is NUMERIC(12,2) with an ISO 4217 code beside it.
Overselling is impossible at the database level: ``ck_inventory_counts`` refuses any row whose held
and sold places pass its capacity, whatever the code above it does.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from taquilla_runtime.messaging.outbox import outbox_table
from ticketing_svc.config import SCHEMA

metadata = MetaData(schema=SCHEMA)
outbox = outbox_table(metadata)
TIMESTAMP = DateTime(timezone=True)

# The latest version of each catalog event ticketing was told about, whole, as one document.
catalog_events = Table(
    "catalog_events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("document", JSONB, nullable=False),
    # True when the copy was read through from event_svc rather than taken from a message.
    Column("read_through", Boolean, nullable=False, server_default=text("false")),
    Column("updated_at", TIMESTAMP, nullable=False, server_default=func.now()),
)

# Which event a session belongs to (reservations name the session only).
catalog_sessions = Table(
    "catalog_sessions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column(
        "event_id", UUID(as_uuid=True), ForeignKey("catalog_events.id", ondelete="CASCADE"), nullable=False
    ),
)
Index("ix_catalog_sessions_event", catalog_sessions.c.event_id)

inventory = Table(
    "inventory",
    metadata,
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("zone_id", UUID(as_uuid=True), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("held", Integer, nullable=False, server_default=text("0")),
    Column("sold", Integer, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("session_id", "zone_id", name="pk_inventory"),
    CheckConstraint("held >= 0 AND sold >= 0 AND held + sold <= capacity", name="ck_inventory_counts"),
)
Index("ix_inventory_event", inventory.c.event_id)

reservations = Table(
    "reservations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("customer_id", UUID(as_uuid=True), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("event_name", Text, nullable=False),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("status", Text, nullable=False),
    # [{"zoneId", "zoneName", "quantity", "unitPrice": {"amount", "currency"}}]
    Column("items", JSONB, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("total_amount", Numeric(12, 2), nullable=False),
    Column("currency", Text, nullable=False),
    Column("created_at", TIMESTAMP, nullable=False),
    Column("expires_at", TIMESTAMP, nullable=False),
    Column("ended_at", TIMESTAMP, nullable=True),
    # The buyer's Idempotency-Key and a fingerprint of the request it came with.
    Column("idempotency_key", Text, nullable=True),
    Column("request_fingerprint", Text, nullable=True),
    CheckConstraint("status IN ('held', 'released', 'expired')", name="ck_reservations_status"),
    CheckConstraint("quantity > 0", name="ck_reservations_quantity"),
    CheckConstraint("total_amount >= 0", name="ck_reservations_total"),
    CheckConstraint("(status = 'held') = (ended_at IS NULL)", name="ck_reservations_ended"),
)
Index(
    "ux_reservations_idempotency",
    reservations.c.customer_id,
    reservations.c.idempotency_key,
    unique=True,
    postgresql_where=reservations.c.idempotency_key.is_not(None),
)
Index(
    "ix_reservations_due",
    reservations.c.expires_at,
    postgresql_where=reservations.c.status == "held",
)
Index(
    "ix_reservations_customer",
    reservations.c.customer_id,
    reservations.c.created_at.desc(),
    reservations.c.id.desc(),
)

# Places each account holds or owns per event, for the organizer's per-customer limit.
customer_places = Table(
    "customer_places",
    metadata,
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("customer_id", UUID(as_uuid=True), nullable=False),
    Column("places", Integer, nullable=False),
    PrimaryKeyConstraint("event_id", "customer_id", name="pk_customer_places"),
    CheckConstraint("places >= 0", name="ck_customer_places"),
)

# Catalog messages already applied, by messageId: a redelivery changes nothing.
inbox = Table(
    "inbox",
    metadata,
    Column("message_id", UUID(as_uuid=True), primary_key=True),
    Column("message_type", Text, nullable=False),
    Column("handled_at", TIMESTAMP, nullable=False, server_default=func.now()),
)
Index("ix_inbox_handled", inbox.c.handled_at)
