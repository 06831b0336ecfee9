"""ticketing_svc owns sellable inventory: held and sold leave the catalog, a sold-out flag stays

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "catalog"


def upgrade() -> None:
    op.drop_constraint("ck_inventory_counts", "inventory", schema=SCHEMA)
    op.add_column(
        "inventory",
        sa.Column("sold_out", sa.Boolean, nullable=False, server_default=sa.false()),
        schema=SCHEMA,
    )
    # Nothing was ever held or sold through the catalog: ticketing_svc starts from zero.
    op.drop_column("inventory", "held", schema=SCHEMA)
    op.drop_column("inventory", "sold", schema=SCHEMA)
    op.rename_table("inventory", "session_zones", schema=SCHEMA)
    op.execute(f"ALTER TABLE {SCHEMA}.session_zones RENAME CONSTRAINT pk_inventory TO pk_session_zones")
    op.execute(
        f"ALTER TABLE {SCHEMA}.session_zones RENAME CONSTRAINT ck_inventory_capacity TO ck_session_zones_capacity"
    )
    op.execute(f"ALTER INDEX {SCHEMA}.ix_inventory_zone RENAME TO ix_session_zones_zone")


def downgrade() -> None:
    op.execute(f"ALTER INDEX {SCHEMA}.ix_session_zones_zone RENAME TO ix_inventory_zone")
    op.execute(
        f"ALTER TABLE {SCHEMA}.session_zones RENAME CONSTRAINT ck_session_zones_capacity TO ck_inventory_capacity"
    )
    op.execute(f"ALTER TABLE {SCHEMA}.session_zones RENAME CONSTRAINT pk_session_zones TO pk_inventory")
    op.rename_table("session_zones", "inventory", schema=SCHEMA)
    op.add_column(
        "inventory", sa.Column("held", sa.Integer, nullable=False, server_default="0"), schema=SCHEMA
    )
    op.add_column(
        "inventory", sa.Column("sold", sa.Integer, nullable=False, server_default="0"), schema=SCHEMA
    )
    op.drop_column("inventory", "sold_out", schema=SCHEMA)
    op.create_check_constraint(
        "ck_inventory_counts",
        "inventory",
        "held >= 0 AND sold >= 0 AND held + sold <= capacity",
        schema=SCHEMA,
    )
