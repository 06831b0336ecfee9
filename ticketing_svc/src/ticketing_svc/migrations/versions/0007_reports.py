"""reports: the organizers' read model, projected from taquilla.ticketing.v1

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

The dashboards read these tables only, never the sales tables: ticketing_svc's report consumer
(its own consumer group) folds each message of taquilla.ticketing.v1 into them once.

- ``report_inbox``: every message folded in, by ``messageId``, written in the same transaction as
  the counters it moved, so a redelivered or replayed message changes nothing.
- ``report_sales``: per session x zone x hour (UTC, of the payment or refund) x currency, tickets
  sold and their gross amount, tickets refunded and the amount refunded, paid orders and refunds
  (those two counted on the row of the order's first zone). NUMERIC money beside its currency.
- ``report_checkins``: per session x zone x hour of the scan, first admissions (distinct tickets),
  entries, exits and offline double admissions.
- ``report_tickets``: each ticket's session x zone and price (from OrderPaid and TicketTransferred),
  so a refund of tickets is counted against their zones.
- ``report_admitted``: the tickets admitted at least once (what makes a first admission distinct).
- ``report_waitlist``: entries and places waiting per session x zone now.
- ``ix_tickets_event``: the attendee export's keyset (an event's tickets in id order).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "ticketing"
UUID = postgresql.UUID(as_uuid=True)
TIMESTAMP = sa.DateTime(timezone=True)
MONEY = sa.Numeric(14, 2)


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, nullable=False, server_default=sa.text("0"))


def upgrade() -> None:
    op.create_table(
        "report_inbox",
        sa.Column("message_id", UUID, primary_key=True),
        sa.Column("message_type", sa.Text, nullable=False),
        sa.Column("handled_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "report_sales",
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("zone_id", UUID, nullable=False),
        sa.Column("hour", TIMESTAMP, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        _count("tickets_sold"),
        sa.Column("gross", MONEY, nullable=False, server_default=sa.text("0")),
        _count("tickets_refunded"),
        sa.Column("refunded", MONEY, nullable=False, server_default=sa.text("0")),
        _count("orders_paid"),
        _count("refunds"),
        sa.PrimaryKeyConstraint("session_id", "zone_id", "hour", "currency", name="pk_report_sales"),
        schema=SCHEMA,
    )
    op.create_index("ix_report_sales_event", "report_sales", ["event_id", "hour"], schema=SCHEMA)
    op.create_table(
        "report_checkins",
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("zone_id", UUID, nullable=False),
        sa.Column("hour", TIMESTAMP, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        _count("admitted"),
        _count("entries"),
        _count("exits"),
        _count("double_admissions"),
        sa.PrimaryKeyConstraint("session_id", "zone_id", "hour", name="pk_report_checkins"),
        schema=SCHEMA,
    )
    op.create_index("ix_report_checkins_event", "report_checkins", ["event_id", "hour"], schema=SCHEMA)
    op.create_table(
        "report_tickets",
        sa.Column("ticket_id", UUID, primary_key=True),
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("zone_id", UUID, nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "report_admitted",
        sa.Column("ticket_id", UUID, primary_key=True),
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("first_entry_at", TIMESTAMP, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "report_waitlist",
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("zone_id", UUID, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        _count("entries"),
        _count("places"),
        sa.PrimaryKeyConstraint("session_id", "zone_id", name="pk_report_waitlist"),
        schema=SCHEMA,
    )
    op.create_index("ix_report_waitlist_event", "report_waitlist", ["event_id"], schema=SCHEMA)
    op.create_index("ix_tickets_event", "tickets", ["event_id", "id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_tickets_event", "tickets", schema=SCHEMA)
    for table in (
        "report_waitlist",
        "report_admitted",
        "report_tickets",
        "report_checkins",
        "report_sales",
        "report_inbox",
    ):
        op.drop_table(table, schema=SCHEMA)
