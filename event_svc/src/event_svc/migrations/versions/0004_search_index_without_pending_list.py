"""search: the GIN indexes write through (fastupdate off), so no search scans a pending list

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

With ``fastupdate`` on (PostgreSQL's default) a GIN index collects new entries in an unsorted pending
list of up to ``gin_pending_list_limit`` (4 MB) that every search reads in full until a vacuum or the
limit merges it. On 100,000 events that list cost each search 4 to 5 ms of its 50 ms budget, more
after a burst of new events. The catalog is read far more often than written: each insert or edit
now updates the index directly (a few entries per event), and the list is merged once here.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "catalog"
INDEXES = ("ix_events_search_vector", "ix_search_terms_trigrams")


def upgrade() -> None:
    for index in INDEXES:
        op.execute(f"ALTER INDEX {SCHEMA}.{index} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('{SCHEMA}.{index}'::regclass)")


def downgrade() -> None:
    for index in INDEXES:
        op.execute(f"ALTER INDEX {SCHEMA}.{index} RESET (fastupdate)")
