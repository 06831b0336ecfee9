"""featured events: an administrator's pick for the front page

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "catalog"


def upgrade() -> None:
    op.execute(f"ALTER TABLE {SCHEMA}.events ADD COLUMN featured boolean NOT NULL DEFAULT false")
    # The front page lists the few featured events by date: a small partial index serves it.
    op.execute(
        f"CREATE INDEX ix_events_listed_featured ON {SCHEMA}.events (starts_at, id) "
        "WHERE featured AND status = 'published' AND deleted_at IS NULL"
    )


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {SCHEMA}.ix_events_listed_featured")
    op.execute(f"ALTER TABLE {SCHEMA}.events DROP COLUMN featured")
