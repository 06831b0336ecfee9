"""events, zones, sessions (no overlaps at a venue and place), inventory and idempotency keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "catalog"
TIMESTAMP = sa.DateTime(timezone=True)
UUID = postgresql.UUID(as_uuid=True)


def upgrade() -> None:
    # btree_gist gives GiST the "=" on text the exclusion constraint needs. It is a trusted extension
    # (PostgreSQL 13+), so the database owner may create it; local and compose set-ups pre-create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public")

    op.create_table(
        "events",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("organization_id", UUID, nullable=False),
        sa.Column("created_by", UUID, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("venue_name", sa.Text, nullable=False),
        sa.Column("venue_city", sa.Text, nullable=False),
        sa.Column("venue_address", sa.Text, nullable=False),
        sa.Column("venue_latitude", sa.Float(53), nullable=True),
        sa.Column("venue_longitude", sa.Float(53), nullable=True),
        sa.Column("image_url", sa.Text, nullable=True),
        sa.Column("starts_at", TIMESTAMP, nullable=False),
        sa.Column("ends_at", TIMESTAMP, nullable=False),
        sa.Column("timezone", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", TIMESTAMP, nullable=True),
        sa.Column("cancelled_at", TIMESTAMP, nullable=True),
        sa.Column("cancellation_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("deleted_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint("ends_at > starts_at", name="ck_events_period"),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'cancelled', 'completed')", name="ck_events_status"
        ),
        sa.CheckConstraint(
            "category IN ('concert', 'conference', 'sports', 'theatre', 'festival', 'workshop', 'other')",
            name="ck_events_category",
        ),
        sa.CheckConstraint("version > 0", name="ck_events_version"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_events_organization_starts",
        "events",
        ["organization_id", "starts_at", "id"],
        schema=SCHEMA,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "ix_events_status_starts",
        "events",
        ["status", "starts_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )

    op.create_table(
        "zones",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("event_id", UUID, sa.ForeignKey(f"{SCHEMA}.events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("price", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.CheckConstraint("price >= 0", name="ck_zones_price"),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="ck_zones_currency"),
        sa.CheckConstraint("capacity > 0", name="ck_zones_capacity"),
        schema=SCHEMA,
    )
    op.execute(f"CREATE UNIQUE INDEX ux_zones_event_name ON {SCHEMA}.zones (event_id, lower(name))")

    op.create_table(
        "sessions",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("event_id", UUID, sa.ForeignKey(f"{SCHEMA}.events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("presenter", sa.Text, nullable=False, server_default=""),
        sa.Column("starts_at", TIMESTAMP, nullable=False),
        sa.Column("ends_at", TIMESTAMP, nullable=False),
        sa.Column("place", sa.Text, nullable=False, server_default=""),
        sa.Column("venue_key", sa.Text, nullable=False),
        sa.Column("place_key", sa.Text, nullable=False),
        sa.Column("capacity_override", sa.Integer, nullable=True),
        sa.Column("resources", postgresql.ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
        sa.Column("deleted_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint("ends_at > starts_at", name="ck_sessions_period"),
        sa.CheckConstraint(
            "capacity_override IS NULL OR capacity_override > 0", name="ck_sessions_capacity_override"
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'teaser', 'presale', 'on_sale', 'in_progress', 'finished', 'cancelled', 'suspended')",
            name="ck_sessions_status",
        ),
        schema=SCHEMA,
    )
    # Race-free across events: concurrent inserts of overlapping sessions wait for each other and
    # the second fails. Removed and cancelled sessions free their slot.
    op.execute(
        f"ALTER TABLE {SCHEMA}.sessions ADD CONSTRAINT ex_sessions_no_overlap "
        "EXCLUDE USING gist (venue_key WITH =, place_key WITH =, tstzrange(starts_at, ends_at) WITH &&) "
        "WHERE (deleted_at IS NULL AND status <> 'cancelled')"
    )
    op.create_index("ix_sessions_event", "sessions", ["event_id", "starts_at"], schema=SCHEMA)

    op.create_table(
        "inventory",
        sa.Column(
            "session_id", UUID, sa.ForeignKey(f"{SCHEMA}.sessions.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("zone_id", UUID, sa.ForeignKey(f"{SCHEMA}.zones.id", ondelete="CASCADE"), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("held", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("sold", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.PrimaryKeyConstraint("session_id", "zone_id", name="pk_inventory"),
        sa.CheckConstraint("capacity > 0", name="ck_inventory_capacity"),
        sa.CheckConstraint("held >= 0 AND sold >= 0 AND held + sold <= capacity", name="ck_inventory_counts"),
        schema=SCHEMA,
    )
    op.create_index("ix_inventory_zone", "inventory", ["zone_id"], schema=SCHEMA)

    op.create_table(
        "idempotency_keys",
        sa.Column("subject", UUID, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("operation", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("response", sa.LargeBinary, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("subject", "key", name="pk_idempotency_keys"),
        schema=SCHEMA,
    )
    op.create_index("ix_idempotency_keys_created", "idempotency_keys", ["created_at"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("idempotency_keys", "inventory", "sessions", "zones", "events"):
        op.drop_table(table, schema=SCHEMA)
