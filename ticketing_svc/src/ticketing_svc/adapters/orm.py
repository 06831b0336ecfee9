"""Tables of the ticketing schema. All SQL of ticketing_svc lives in adapters/.

Timestamps are ``timestamptz`` in UTC; money is NUMERIC(12,2) with an ISO 4217 code beside it.
Overselling is impossible at the database level: ``ck_inventory_counts`` refuses any row whose held
and sold places pass its capacity, whatever the code above it does.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
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
    Sequence,
    Table,
    Text,
    UniqueConstraint,
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
    # Entries of the zone's waiting list still waiting: while there are any, the public reserves
    # nothing here (free places are kept for the list; domain/waitlist.py).
    Column("waiting", Integer, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("session_id", "zone_id", name="pk_inventory"),
    CheckConstraint("held >= 0 AND sold >= 0 AND held + sold <= capacity", name="ck_inventory_counts"),
    CheckConstraint("waiting >= 0", name="ck_inventory_waiting"),
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
    CheckConstraint("status IN ('held', 'released', 'expired', 'purchased')", name="ck_reservations_status"),
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

ORDER_STATUSES = (
    "'pending_payment', 'paid', 'partially_refunded', 'refunded', 'failed', 'expired', 'cancelled'"
)

# One per reservation that went to payment. The buyer's details are personal data: never logged.
orders = Table(
    "orders",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    # A reservation is paid for once: a second order for it is refused here.
    Column("reservation_id", UUID(as_uuid=True), ForeignKey("reservations.id"), nullable=False, unique=True),
    Column("customer_id", UUID(as_uuid=True), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("organization_id", UUID(as_uuid=True), nullable=False),
    Column("event_name", Text, nullable=False),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("items", JSONB, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("total_amount", Numeric(12, 2), nullable=False),
    Column("refunded_amount", Numeric(12, 2), nullable=False, server_default=text("0")),
    Column("currency", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("buyer_name", Text, nullable=False),
    Column("buyer_email", Text, nullable=False),
    Column("buyer_locale", Text, nullable=False),
    Column("provider", Text, nullable=False),
    # The provider's payment (a Stripe Checkout Session id).
    Column("payment_reference", Text, nullable=True, unique=True),
    Column("checkout_url", Text, nullable=True),
    Column("failure_code", Text, nullable=True),
    Column("created_at", TIMESTAMP, nullable=False),
    Column("pay_by", TIMESTAMP, nullable=False),
    Column("updated_at", TIMESTAMP, nullable=False),
    Column("paid_at", TIMESTAMP, nullable=True),
    # When the reconciliation last asked the provider about it.
    Column("reconciled_at", TIMESTAMP, nullable=True),
    Column("idempotency_key", Text, nullable=True),
    Column("request_fingerprint", Text, nullable=True),
    CheckConstraint(f"status IN ({ORDER_STATUSES})", name="ck_orders_status"),
    CheckConstraint("quantity > 0", name="ck_orders_quantity"),
    # Refunds never add up to more than what was paid.
    CheckConstraint("refunded_amount >= 0 AND refunded_amount <= total_amount", name="ck_orders_refunded"),
    CheckConstraint(
        "(status IN ('paid', 'partially_refunded', 'refunded')) = (paid_at IS NOT NULL)",
        name="ck_orders_paid",
    ),
)
Index(
    "ux_orders_idempotency",
    orders.c.customer_id,
    orders.c.idempotency_key,
    unique=True,
    postgresql_where=orders.c.idempotency_key.is_not(None),
)
Index("ix_orders_customer", orders.c.customer_id, orders.c.created_at.desc(), orders.c.id.desc())
Index("ix_orders_event", orders.c.event_id, orders.c.created_at.desc(), orders.c.id.desc())
Index(
    "ix_orders_unsettled",
    orders.c.created_at,
    postgresql_where=orders.c.status.in_(["pending_payment", "failed", "expired", "cancelled"]),
)

# One per place of a paid order. (order_id, position) is unique: an order's tickets are issued once.
tickets = Table(
    "tickets",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("customer_id", UUID(as_uuid=True), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("event_name", Text, nullable=False),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("zone_id", UUID(as_uuid=True), nullable=False),
    Column("zone_name", Text, nullable=False),
    Column("holder_name", Text, nullable=False),
    Column("price_amount", Numeric(12, 2), nullable=False),
    Column("currency", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("issued_at", TIMESTAMP, nullable=False),
    # The signed QR content.
    Column("secret", Text, nullable=False, unique=True),
    # Why a revoked ticket was revoked, when it says ("transferred").
    Column("revoked_reason", Text, nullable=True),
    # The transaction that last inserted it or changed its status or holder (a trigger sets it): the
    # door's offline pack follows changes with it (migration 0006 says why not a sequence).
    Column("change_xid", BigInteger, nullable=False, server_default=text("0")),
    UniqueConstraint("order_id", "position", name="uq_tickets_order_position"),
    CheckConstraint("status IN ('valid', 'revoked', 'used')", name="ck_tickets_status"),
)
Index("ix_tickets_customer", tickets.c.customer_id, tickets.c.issued_at.desc(), tickets.c.id.desc())
Index("ix_tickets_session", tickets.c.session_id)
Index("ix_tickets_event", tickets.c.event_id, tickets.c.id)
Index("ix_tickets_session_changes", tickets.c.session_id, tickets.c.change_xid, tickets.c.id)

# Each ticket admitted at least once: inside or not, its first entry, and a version every change
# bumps (scans change it with a compare-and-set, so two simultaneous entries admit once).
admissions = Table(
    "admissions",
    metadata,
    Column("ticket_id", UUID(as_uuid=True), ForeignKey("tickets.id"), primary_key=True),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("inside", Boolean, nullable=False),
    Column("entries", Integer, nullable=False),
    Column("first_entry_at", TIMESTAMP, nullable=False),
    Column("first_entry_device", Text, nullable=False),
    Column("changed_at", TIMESTAMP, nullable=False),
    Column("version", Integer, nullable=False),
    CheckConstraint("entries >= 1", name="ck_admissions_entries"),
)
Index("ix_admissions_inside", admissions.c.session_id, postgresql_where=admissions.c.inside)

# Every scan at a door, once per (session, device_id, nonce): a device's retry records nothing new.
checkins = Table(
    "checkins",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("ticket_id", UUID(as_uuid=True), nullable=True),  # None: the secret proved no ticket
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("device_id", Text, nullable=False),
    Column("nonce", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("result", Text, nullable=False),
    Column("scanned_at", TIMESTAMP, nullable=False),
    Column("recorded_at", TIMESTAMP, nullable=False),
    Column("offline", Boolean, nullable=False, server_default=text("false")),
    # An entry admitted offline while the ticket was already inside (a double admission).
    Column("conflict", Boolean, nullable=False, server_default=text("false")),
    UniqueConstraint("session_id", "device_id", "nonce", name="uq_checkins_device_nonce"),
    CheckConstraint("type IN ('entry', 'exit')", name="ck_checkins_type"),
)
Index("ix_checkins_ticket", checkins.c.ticket_id, checkins.c.scanned_at)
Index(
    "ix_checkins_conflicts",
    checkins.c.session_id,
    checkins.c.recorded_at.desc(),
    postgresql_where=checkins.c.conflict,
)

# Money going back; stored before the provider is asked (its idempotency key is the refund's id).
refunds = Table(
    "refunds",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id"), nullable=False),
    Column("amount", Numeric(12, 2), nullable=False),
    Column("currency", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("ticket_ids", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("requested_at", TIMESTAMP, nullable=False),
    Column("provider_refund_id", Text, nullable=True, unique=True),
    Column("settled_at", TIMESTAMP, nullable=True),
    # The organizer's Idempotency-Key and a fingerprint of the request it came with.
    Column("idempotency_key", Text, nullable=True),
    Column("request_fingerprint", Text, nullable=True),
    CheckConstraint("amount > 0", name="ck_refunds_amount"),
    CheckConstraint("status IN ('requested', 'succeeded', 'failed')", name="ck_refunds_status"),
)
Index("ix_refunds_order", refunds.c.order_id)
Index(
    "ux_refunds_idempotency",
    refunds.c.order_id,
    refunds.c.idempotency_key,
    unique=True,
    postgresql_where=refunds.c.idempotency_key.is_not(None),
)
Index("ix_refunds_requested", refunds.c.requested_at, postgresql_where=refunds.c.status == "requested")
# An order is refunded once for its event's cancellation, whatever restarts the saga goes through.
Index(
    "ux_refunds_cancellation",
    refunds.c.order_id,
    unique=True,
    postgresql_where=refunds.c.reason == "event_cancelled",
)

# The payment provider's notifications already handled, by the provider's id (kept 45 days, longer
# than Stripe retries a webhook): a redelivery changes nothing.
payment_notices = Table(
    "payment_notices",
    metadata,
    Column("provider", Text, nullable=False),
    Column("notice_id", Text, nullable=False),
    Column("notice_type", Text, nullable=False),
    Column("received_at", TIMESTAMP, nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("provider", "notice_id", name="pk_payment_notices"),
)
Index("ix_payment_notices_received", payment_notices.c.received_at)

# The refund saga of each cancelled event: started with the cancellation's message, finished when
# every paid order of the event has its refund requested (the refund worker sends them).
cancellations = Table(
    "cancellations",
    metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("started_at", TIMESTAMP, nullable=False),
    Column("finished_at", TIMESTAMP, nullable=True),
)
Index(
    "ix_cancellations_running",
    cancellations.c.started_at,
    postgresql_where=cancellations.c.finished_at.is_(None),
)

# Tickets sent by their holder to an e-mail address (the audit of who sent what to whom, and when).
# The link's token is kept as its SHA-256 only. At most one pending transfer per ticket.
ticket_transfers = Table(
    "ticket_transfers",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("ticket_id", UUID(as_uuid=True), ForeignKey("tickets.id"), nullable=False),
    Column("new_ticket_id", UUID(as_uuid=True), ForeignKey("tickets.id"), nullable=True, unique=True),
    Column("order_id", UUID(as_uuid=True), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("event_name", Text, nullable=False),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("from_customer", UUID(as_uuid=True), nullable=False),
    Column("from_name", Text, nullable=False),
    Column("from_email", Text, nullable=False),
    Column("from_locale", Text, nullable=False),
    Column("recipient_email", Text, nullable=False),
    Column("token_hash", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_at", TIMESTAMP, nullable=False),
    Column("expires_at", TIMESTAMP, nullable=False),
    Column("accepted_at", TIMESTAMP, nullable=True),
    Column("accepted_by", UUID(as_uuid=True), nullable=True),
    Column("ended_at", TIMESTAMP, nullable=True),
    CheckConstraint(
        "status IN ('pending', 'accepted', 'cancelled', 'expired')", name="ck_ticket_transfers_status"
    ),
    CheckConstraint(
        "(status = 'accepted') = (new_ticket_id IS NOT NULL AND accepted_at IS NOT NULL "
        "AND accepted_by IS NOT NULL)",
        name="ck_ticket_transfers_accepted",
    ),
)
Index(
    "ux_ticket_transfers_pending",
    ticket_transfers.c.ticket_id,
    unique=True,
    postgresql_where=ticket_transfers.c.status == "pending",
)
Index("ix_ticket_transfers_ticket", ticket_transfers.c.ticket_id, ticket_transfers.c.created_at.desc())

# The waiting lists of sold-out zones (domain/waitlist.py): served in ``position`` order.
waitlist_position = Sequence("waitlist_position_seq", metadata=metadata)
waitlist_entries = Table(
    "waitlist_entries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("zone_id", UUID(as_uuid=True), nullable=False),
    Column("customer_id", UUID(as_uuid=True), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column(
        "position",
        BigInteger,
        waitlist_position,
        nullable=False,
        server_default=waitlist_position.next_value(),
    ),
    Column("created_at", TIMESTAMP, nullable=False),
    Column("offered_at", TIMESTAMP, nullable=True),
    Column("offer_reservation_id", UUID(as_uuid=True), ForeignKey("reservations.id"), nullable=True),
    Column("offer_expires_at", TIMESTAMP, nullable=True),
    Column("ended_at", TIMESTAMP, nullable=True),
    CheckConstraint(
        "status IN ('waiting', 'offered', 'fulfilled', 'expired', 'left')", name="ck_waitlist_status"
    ),
    CheckConstraint("quantity > 0", name="ck_waitlist_quantity"),
    CheckConstraint("status <> 'offered' OR offer_reservation_id IS NOT NULL", name="ck_waitlist_offered"),
)
Index(
    "ux_waitlist_active",
    waitlist_entries.c.customer_id,
    waitlist_entries.c.session_id,
    waitlist_entries.c.zone_id,
    unique=True,
    postgresql_where=waitlist_entries.c.status.in_(["waiting", "offered"]),
)
Index(
    "ix_waitlist_line",
    waitlist_entries.c.session_id,
    waitlist_entries.c.zone_id,
    waitlist_entries.c.position,
    postgresql_where=waitlist_entries.c.status == "waiting",
)
Index(
    "ix_waitlist_offer",
    waitlist_entries.c.offer_reservation_id,
    postgresql_where=waitlist_entries.c.status == "offered",
)
Index(
    "ix_waitlist_customer",
    waitlist_entries.c.customer_id,
    waitlist_entries.c.created_at.desc(),
    waitlist_entries.c.id.desc(),
)
Index(
    "ix_waitlist_event",
    waitlist_entries.c.event_id,
    postgresql_where=waitlist_entries.c.status.in_(["waiting", "offered"]),
)

# The organizers' reports: a read model projected from taquilla.ticketing.v1 (migration 0007).
REPORT_MONEY = Numeric(14, 2)
report_inbox = Table(
    "report_inbox",
    metadata,
    Column("message_id", UUID(as_uuid=True), primary_key=True),
    Column("message_type", Text, nullable=False),
    Column("handled_at", TIMESTAMP, nullable=False, server_default=func.now()),
)
report_sales = Table(
    "report_sales",
    metadata,
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("zone_id", UUID(as_uuid=True), nullable=False),
    Column("hour", TIMESTAMP, nullable=False),
    Column("currency", Text, nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("tickets_sold", Integer, nullable=False, server_default=text("0")),
    Column("gross", REPORT_MONEY, nullable=False, server_default=text("0")),
    Column("tickets_refunded", Integer, nullable=False, server_default=text("0")),
    Column("refunded", REPORT_MONEY, nullable=False, server_default=text("0")),
    Column("orders_paid", Integer, nullable=False, server_default=text("0")),
    Column("refunds", Integer, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("session_id", "zone_id", "hour", "currency", name="pk_report_sales"),
)
Index("ix_report_sales_event", report_sales.c.event_id, report_sales.c.hour)
report_checkins = Table(
    "report_checkins",
    metadata,
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("zone_id", UUID(as_uuid=True), nullable=False),
    Column("hour", TIMESTAMP, nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("admitted", Integer, nullable=False, server_default=text("0")),
    Column("entries", Integer, nullable=False, server_default=text("0")),
    Column("exits", Integer, nullable=False, server_default=text("0")),
    Column("double_admissions", Integer, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("session_id", "zone_id", "hour", name="pk_report_checkins"),
)
Index("ix_report_checkins_event", report_checkins.c.event_id, report_checkins.c.hour)
report_tickets = Table(
    "report_tickets",
    metadata,
    Column("ticket_id", UUID(as_uuid=True), primary_key=True),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("zone_id", UUID(as_uuid=True), nullable=False),
    Column("price", REPORT_MONEY, nullable=False),
    Column("currency", Text, nullable=False),
)
report_admitted = Table(
    "report_admitted",
    metadata,
    Column("ticket_id", UUID(as_uuid=True), primary_key=True),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("first_entry_at", TIMESTAMP, nullable=False),
)
report_waitlist = Table(
    "report_waitlist",
    metadata,
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("zone_id", UUID(as_uuid=True), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("entries", Integer, nullable=False, server_default=text("0")),
    Column("places", Integer, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("session_id", "zone_id", name="pk_report_waitlist"),
)
Index("ix_report_waitlist_event", report_waitlist.c.event_id)
