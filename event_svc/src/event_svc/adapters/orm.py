"""Tables of the catalog schema. All SQL of event_svc lives in adapters/.

Timestamps are ``timestamptz`` in UTC; money is NUMERIC(12,2) with an ISO 4217 code beside it.
Who holds a slot at a venue's place is enforced race-free in PostgreSQL by two exclusion constraints
(btree_gist, migration 0008, ADR 0014): ``ex_sessions_organization_slot`` keeps one organization's
active sessions (drafts included) from overlapping, and ``ex_sessions_public_slot`` keeps public
sessions (out of draft) of every organization from overlapping. Drafts of two organizations may
overlap; the first to be published takes the slot.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    column,
    func,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR, UUID, ExcludeConstraint

from event_svc.config import SCHEMA
from taquilla_runtime.messaging.outbox import outbox_table

metadata = MetaData(schema=SCHEMA)
outbox = outbox_table(metadata)

ORGANIZATION_SLOT_CONSTRAINT = "ex_sessions_organization_slot"
PUBLIC_SLOT_CONSTRAINT = "ex_sessions_public_slot"
SLOT_CONSTRAINTS = frozenset({ORGANIZATION_SLOT_CONSTRAINT, PUBLIC_SLOT_CONSTRAINT})
TIMESTAMP = DateTime(timezone=True)

events = Table(
    "events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organization_id", UUID(as_uuid=True), nullable=False),
    Column("created_by", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("category", Text, nullable=False),
    Column("venue_name", Text, nullable=False),
    Column("venue_city", Text, nullable=False),
    Column("venue_address", Text, nullable=False),
    Column("venue_latitude", Float(53), nullable=True),
    Column("venue_longitude", Float(53), nullable=True),
    Column("image_url", Text, nullable=True),
    Column("starts_at", TIMESTAMP, nullable=False),
    Column("ends_at", TIMESTAMP, nullable=False),
    Column("timezone", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", TIMESTAMP, nullable=False, server_default=func.now()),
    Column("updated_at", TIMESTAMP, nullable=False, server_default=func.now()),
    Column("published_at", TIMESTAMP, nullable=True),
    Column("cancelled_at", TIMESTAMP, nullable=True),
    Column("cancellation_reason", Text, nullable=False, server_default=""),
    Column("deleted_at", TIMESTAMP, nullable=True),
    # An administrator's pick for the front page (migration 0005).
    Column("featured", Boolean, nullable=False, server_default="false"),
    # The cheapest zone's price, for listings (migration 0003).
    Column("price_from", Numeric(12, 2), nullable=True),
    Column("price_currency", Text, nullable=True),
    # How it sells (migration 0007); ticketing_svc applies them.
    Column("on_sale_at", TIMESTAMP, nullable=True),
    Column("hold_minutes", Integer, nullable=False, server_default=text("10")),
    Column("max_per_customer", Integer, nullable=True),
    Column("waiting_room", Boolean, nullable=False, server_default="false"),
    Column("admission_per_minute", Integer, nullable=False, server_default=text("300")),
    # Payment time, re-entry and transfers (migration 0009).
    Column("payment_minutes", Integer, nullable=False, server_default=text("10")),
    Column("reentry_allowed", Boolean, nullable=False, server_default="false"),
    Column("transfers_allowed", Boolean, nullable=False, server_default="true"),
    CheckConstraint("hold_minutes BETWEEN 2 AND 30", name="ck_events_hold_minutes"),
    CheckConstraint("payment_minutes BETWEEN 1 AND 60", name="ck_events_payment_minutes"),
    CheckConstraint("max_per_customer IS NULL OR max_per_customer > 0", name="ck_events_max_per_customer"),
    CheckConstraint("admission_per_minute > 0", name="ck_events_admission_per_minute"),
    CheckConstraint("ends_at > starts_at", name="ck_events_period"),
    CheckConstraint("status IN ('draft', 'published', 'cancelled', 'completed')", name="ck_events_status"),
    CheckConstraint(
        "category IN ('concert', 'conference', 'sports', 'theatre', 'festival', 'workshop', 'other')",
        name="ck_events_category",
    ),
    CheckConstraint("version > 0", name="ck_events_version"),
    # The target of sessions' (event_id, organization_id) foreign key (migration 0008).
    UniqueConstraint("id", "organization_id", name="uq_events_id_organization"),
)
Index(
    "ix_events_organization_starts",
    events.c.organization_id,
    events.c.starts_at,
    events.c.id,
    postgresql_where=events.c.deleted_at.is_(None),
)
Index(
    "ix_events_status_starts",
    events.c.status,
    events.c.starts_at,
    postgresql_where=events.c.deleted_at.is_(None),
)

zones = Table(
    "zones",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("price", Numeric(12, 2), nullable=False),
    Column("currency", Text, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("max_per_order", Integer, nullable=False, server_default=text("10")),
    CheckConstraint("price >= 0", name="ck_zones_price"),
    CheckConstraint("max_per_order BETWEEN 1 AND 100", name="ck_zones_max_per_order"),
    CheckConstraint("currency ~ '^[A-Z]{3}$'", name="ck_zones_currency"),
    CheckConstraint("capacity > 0", name="ck_zones_capacity"),
)
Index("ux_zones_event_name", zones.c.event_id, func.lower(zones.c.name), unique=True)

sessions = Table(
    "sessions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("title", Text, nullable=False, server_default=""),
    Column("presenter", Text, nullable=False, server_default=""),
    Column("starts_at", TIMESTAMP, nullable=False),
    Column("ends_at", TIMESTAMP, nullable=False),
    Column("place", Text, nullable=False, server_default=""),
    # Folded (case, accents, spaces) copies of the venue and place, compared by the overlap rule.
    Column("venue_key", Text, nullable=False),
    Column("place_key", Text, nullable=False),
    # The event's organization, copied for the per-organization exclusion constraint (which cannot
    # look at another table); the composite foreign key keeps the copy equal to the event's.
    Column("organization_id", UUID(as_uuid=True), nullable=False),
    Column("capacity_override", Integer, nullable=True),
    Column("resources", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("status", Text, nullable=False),
    Column("created_at", TIMESTAMP, nullable=False, server_default=func.now()),
    Column("updated_at", TIMESTAMP, nullable=False, server_default=func.now()),
    Column("deleted_at", TIMESTAMP, nullable=True),
    CheckConstraint("ends_at > starts_at", name="ck_sessions_period"),
    CheckConstraint(
        "capacity_override IS NULL OR capacity_override > 0", name="ck_sessions_capacity_override"
    ),
    CheckConstraint(
        "status IN ('draft', 'teaser', 'presale', 'on_sale', 'in_progress', 'finished', 'cancelled', "
        "'suspended')",
        name="ck_sessions_status",
    ),
    ForeignKeyConstraint(
        ["event_id", "organization_id"],
        ["events.id", "events.organization_id"],
        name="fk_sessions_event_organization",
        onupdate="CASCADE",
        ondelete="CASCADE",
    ),
    # Within one organization: no two active sessions overlap, drafts included.
    ExcludeConstraint(
        (Column("organization_id"), "="),
        (Column("venue_key"), "="),
        (Column("place_key"), "="),
        (func.tstzrange(Column("starts_at"), Column("ends_at")), "&&"),
        name=ORGANIZATION_SLOT_CONSTRAINT,
        using="gist",
        where=text("deleted_at IS NULL AND status <> 'cancelled'"),
    ),
    # Across organizations: only public sessions (out of draft, not cancelled) hold the slot.
    ExcludeConstraint(
        (Column("venue_key"), "="),
        (Column("place_key"), "="),
        (func.tstzrange(Column("starts_at"), Column("ends_at")), "&&"),
        name=PUBLIC_SLOT_CONSTRAINT,
        using="gist",
        where=text("deleted_at IS NULL AND status NOT IN ('draft', 'cancelled')"),
    ),
)
Index("ix_sessions_event", sessions.c.event_id, sessions.c.starts_at)

# Every zone in every session, with its places. ticketing_svc alone counts what is held and sold
# (migration 0006 dropped those counts here); its ZoneSoldOut / ZoneBackOnSale messages set
# ``sold_out``, which the listings' "available" filter reads.
session_zones = Table(
    "session_zones",
    metadata,
    Column("session_id", UUID(as_uuid=True), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("zone_id", UUID(as_uuid=True), ForeignKey("zones.id", ondelete="CASCADE"), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("sold_out", Boolean, nullable=False, server_default="false"),
    PrimaryKeyConstraint("session_id", "zone_id", name="pk_session_zones"),
    CheckConstraint("capacity > 0", name="ck_session_zones_capacity"),
)
Index("ix_session_zones_zone", session_zones.c.zone_id)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    # Keys are scoped to the caller (the principal's subject), never shared between callers.
    Column("subject", UUID(as_uuid=True), nullable=False),
    Column("key", Text, nullable=False),
    Column("operation", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("response", LargeBinary, nullable=True),
    Column("created_at", TIMESTAMP, nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("subject", "key", name="pk_idempotency_keys"),
)
Index("ix_idempotency_keys_created", idempotency_keys.c.created_at)

# Search (migration 0003). The lexicon of the words of names, venues and cities, filled by triggers
# on events, for typo-tolerant matching with pg_trgm.
search_terms = Table("search_terms", metadata, Column("term", Text, nullable=False))
Index("ix_search_terms_term", search_terms.c.term)

# catalog.events as listings read it, with the columns PostgreSQL generates for search. A separate
# (lightweight) description keeps those columns out of every other query on events.
listed_events = table(
    "events",
    column("id", UUID(as_uuid=True)),
    column("organization_id", UUID(as_uuid=True)),
    column("name", Text),
    column("category", Text),
    column("venue_name", Text),
    column("venue_city", Text),
    column("venue_address", Text),
    column("venue_latitude", Float(53)),
    column("venue_longitude", Float(53)),
    column("image_url", Text),
    column("starts_at", TIMESTAMP),
    column("ends_at", TIMESTAMP),
    column("timezone", Text),
    column("status", Text),
    column("version", Integer),
    column("deleted_at", TIMESTAMP),
    column("featured", Boolean),
    column("price_from", Numeric(12, 2)),
    column("price_currency", Text),
    column("search_vector", TSVECTOR),
    column("city_key", Text),
    schema=SCHEMA,
)
