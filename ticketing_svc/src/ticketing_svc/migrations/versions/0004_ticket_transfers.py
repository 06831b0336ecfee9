"""ticket transfers: a holder sends a ticket to an e-mail address; why a ticket was revoked

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

SCHEMA = "ticketing"
UUID = postgresql.UUID(as_uuid=True)
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("tickets", sa.Column("revoked_reason", sa.Text, nullable=True), schema=SCHEMA)
    op.create_table(
        "ticket_transfers",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("ticket_id", UUID, sa.ForeignKey(f"{SCHEMA}.tickets.id"), nullable=False),
        sa.Column("new_ticket_id", UUID, sa.ForeignKey(f"{SCHEMA}.tickets.id"), nullable=True, unique=True),
        sa.Column("order_id", UUID, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("event_name", sa.Text, nullable=False),
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("from_customer", UUID, nullable=False),
        sa.Column("from_name", sa.Text, nullable=False),
        sa.Column("from_email", sa.Text, nullable=False),
        sa.Column("from_locale", sa.Text, nullable=False),
        sa.Column("recipient_email", sa.Text, nullable=False),
        sa.Column("token_hash", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("accepted_at", TIMESTAMP, nullable=True),
        sa.Column("accepted_by", UUID, nullable=True),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'cancelled', 'expired')", name="ck_ticket_transfers_status"
        ),
        sa.CheckConstraint(
            "(status = 'accepted') = (new_ticket_id IS NOT NULL AND accepted_at IS NOT NULL "
            "AND accepted_by IS NOT NULL)",
            name="ck_ticket_transfers_accepted",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ux_ticket_transfers_pending",
        "ticket_transfers",
        ["ticket_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_ticket_transfers_ticket",
        "ticket_transfers",
        ["ticket_id", sa.text("created_at DESC")],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("ticket_transfers", schema=SCHEMA)
    op.drop_column("tickets", "revoked_reason", schema=SCHEMA)
