"""check-in: scans at the door, each ticket's admission state, and the tickets' change positions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

- ``checkins``: every scan once, UNIQUE (session_id, device_id, nonce), so a device's retry
  records nothing (per session: a device's nonces for one session never reveal another's scans).
- ``admissions``: one row per ticket admitted at least once: whether it is inside, how many times
  it entered, its first entry, and a version every change bumps. Scans change it with a
  compare-and-set on the version, so of two simultaneous entries one wins and the other re-reads.
- ``tickets.change_xid``: the id of the transaction that last inserted the ticket or changed its
  status or holder (set by a trigger), indexed per session. Door devices refresh their offline pack
  with a cursor on it. A sequence would not do: a value drawn by a transaction that commits late
  would fall behind a cursor already moved past it, and that change would never reach the door.
  A pack only hands out changes made by transactions older than every transaction still running
  (``pg_snapshot_xmin``), which can no longer be joined by an older, late-committing one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "ticketing"
UUID = postgresql.UUID(as_uuid=True)
TIMESTAMP = sa.DateTime(timezone=True)
RESULTS = "'ok', 'already_redeemed', 'invalid', 'revoked', 'wrong_session', 'invalid_time', 'pending'"


def upgrade() -> None:
    op.add_column(
        "tickets",
        sa.Column("change_xid", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_tickets_session_changes", "tickets", ["session_id", "change_xid", "id"], schema=SCHEMA
    )
    op.execute(
        f"""
        CREATE FUNCTION {SCHEMA}.ticket_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.change_xid := pg_current_xact_id()::text::bigint;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        f"""
        CREATE TRIGGER tickets_changed BEFORE INSERT OR UPDATE OF status, holder_name
        ON {SCHEMA}.tickets FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.ticket_changed()
        """
    )
    op.create_table(
        "admissions",
        sa.Column("ticket_id", UUID, sa.ForeignKey(f"{SCHEMA}.tickets.id"), primary_key=True),
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("inside", sa.Boolean, nullable=False),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("first_entry_at", TIMESTAMP, nullable=False),
        sa.Column("first_entry_device", sa.Text, nullable=False),
        sa.Column("changed_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint("entries >= 1", name="ck_admissions_entries"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_admissions_inside",
        "admissions",
        ["session_id"],
        schema=SCHEMA,
        postgresql_where=sa.text("inside"),
    )
    op.create_table(
        "checkins",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("ticket_id", UUID, nullable=True),
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("device_id", sa.Text, nullable=False),
        sa.Column("nonce", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("scanned_at", TIMESTAMP, nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.Column("offline", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("conflict", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.UniqueConstraint("session_id", "device_id", "nonce", name="uq_checkins_device_nonce"),
        sa.CheckConstraint("type IN ('entry', 'exit')", name="ck_checkins_type"),
        sa.CheckConstraint(f"result IN ({RESULTS})", name="ck_checkins_result"),
        schema=SCHEMA,
    )
    op.create_index("ix_checkins_ticket", "checkins", ["ticket_id", "scanned_at"], schema=SCHEMA)
    op.create_index(
        "ix_checkins_conflicts",
        "checkins",
        ["session_id", sa.text("recorded_at DESC")],
        schema=SCHEMA,
        postgresql_where=sa.text("conflict"),
    )


def downgrade() -> None:
    op.drop_table("checkins", schema=SCHEMA)
    op.drop_table("admissions", schema=SCHEMA)
    op.execute(f"DROP TRIGGER tickets_changed ON {SCHEMA}.tickets")
    op.execute(f"DROP FUNCTION {SCHEMA}.ticket_changed()")
    op.drop_index("ix_tickets_session_changes", "tickets", schema=SCHEMA)
    op.drop_column("tickets", "change_xid", schema=SCHEMA)
