"""inbox of received messages and one row per notification

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

S = "notifications"
UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("message_id", UUID, primary_key=True),
        sa.Column("envelope", postgresql.JSONB, nullable=False),
        sa.Column("received_at", TS, nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.create_table(
        "notifications",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("message_id", UUID, sa.ForeignKey(f"{S}.inbox.message_id"), nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("correlation_id", UUID, nullable=False),
        sa.Column("payload_sha256", sa.Text, nullable=False),
        sa.Column("recipient_role", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("message_id", "recipient_role", "channel", name="uq_notifications_delivery"),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'skipped')", name="ck_notifications_status"
        ),
        schema=S,
    )
    op.create_index(
        "ix_notifications_status_created", "notifications", ["status", sa.text("created_at DESC")], schema=S
    )
    op.create_index(
        "ix_notifications_event", "notifications", ["event_id", sa.text("created_at DESC")], schema=S
    )


def downgrade() -> None:
    op.drop_table("notifications", schema=S)
    op.drop_table("inbox", schema=S)
