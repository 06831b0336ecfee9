"""outbox: rows refused by the broker for what they are are parked after repeated refusals

``rejections`` counts refusals of the row itself (too large, invalid topic, undecodable), never
outages; at the relay's ``max_rejections`` the row gets ``parked_at`` and the rows behind it flow
again. The unpublished index leaves parked rows out. See taquilla_runtime.messaging.outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from taquilla_runtime.messaging.outbox import downgrade_outbox_for_parking, upgrade_outbox_for_parking

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "identity"


def upgrade() -> None:
    upgrade_outbox_for_parking(SCHEMA)


def downgrade() -> None:
    downgrade_outbox_for_parking(SCHEMA)
