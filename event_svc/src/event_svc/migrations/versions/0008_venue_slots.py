"""venue slots: drafts conflict only within their organization; public sessions across all (ADR 0014)

``ex_sessions_no_overlap`` kept every active session, drafts included, out of every other's slot,
across organizations: anyone could squat a venue with drafts, and the conflict told them about
another organization's unpublished plans. It becomes two exclusion constraints:

- ``ex_sessions_organization_slot``: (organization, venue, place, period) for active sessions,
  drafts included: one organization never double-books itself;
- ``ex_sessions_public_slot``: (venue, place, period) for public sessions only (out of draft, not
  cancelled): publishing takes the slot, and the first to publish wins.

An exclusion constraint compares columns of one row, so sessions get a copy of their event's
``organization_id``, kept equal to it by a composite foreign key onto ``events (id,
organization_id)``. Both constraints stay race-free (concurrent writers of overlapping rows wait for
each other and the second fails), which a trigger or an application-side check would need an
advisory lock per venue to match.

Existing rows stay valid: each new constraint forbids a subset of what the old one did. Going down
can fail if drafts of two organizations now overlap; that is deliberate (the old rule forbade them).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "catalog"
PERIOD = "tstzrange(starts_at, ends_at) WITH &&"
ACTIVE = "deleted_at IS NULL AND status <> 'cancelled'"
PUBLIC = "deleted_at IS NULL AND status NOT IN ('draft', 'cancelled')"


def upgrade() -> None:
    op.add_column(
        "sessions", sa.Column("organization_id", postgresql.UUID(as_uuid=True), nullable=True), schema=SCHEMA
    )
    op.execute(
        f"UPDATE {SCHEMA}.sessions AS s SET organization_id = e.organization_id "
        f"FROM {SCHEMA}.events AS e WHERE e.id = s.event_id"
    )
    op.alter_column("sessions", "organization_id", nullable=False, schema=SCHEMA)
    op.create_unique_constraint(
        "uq_events_id_organization", "events", ["id", "organization_id"], schema=SCHEMA
    )
    op.create_foreign_key(
        "fk_sessions_event_organization",
        "sessions",
        "events",
        ["event_id", "organization_id"],
        ["id", "organization_id"],
        source_schema=SCHEMA,
        referent_schema=SCHEMA,
        onupdate="CASCADE",
        ondelete="CASCADE",
    )
    op.execute(
        f"ALTER TABLE {SCHEMA}.sessions ADD CONSTRAINT ex_sessions_organization_slot "
        f"EXCLUDE USING gist (organization_id WITH =, venue_key WITH =, place_key WITH =, {PERIOD}) "
        f"WHERE ({ACTIVE})"
    )
    op.execute(
        f"ALTER TABLE {SCHEMA}.sessions ADD CONSTRAINT ex_sessions_public_slot "
        f"EXCLUDE USING gist (venue_key WITH =, place_key WITH =, {PERIOD}) WHERE ({PUBLIC})"
    )
    op.drop_constraint("ex_sessions_no_overlap", "sessions", schema=SCHEMA)


def downgrade() -> None:
    op.execute(
        f"ALTER TABLE {SCHEMA}.sessions ADD CONSTRAINT ex_sessions_no_overlap "
        f"EXCLUDE USING gist (venue_key WITH =, place_key WITH =, {PERIOD}) WHERE ({ACTIVE})"
    )
    op.drop_constraint("ex_sessions_public_slot", "sessions", schema=SCHEMA)
    op.drop_constraint("ex_sessions_organization_slot", "sessions", schema=SCHEMA)
    op.drop_constraint("fk_sessions_event_organization", "sessions", schema=SCHEMA)
    op.drop_constraint("uq_events_id_organization", "events", schema=SCHEMA)
    op.drop_column("sessions", "organization_id", schema=SCHEMA)
