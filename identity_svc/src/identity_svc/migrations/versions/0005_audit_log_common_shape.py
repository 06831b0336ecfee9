"""audit_log: the columns every service's audit trail has (taquilla_runtime.audit)

identity's log (0002) already had the actor, action, target, correlation id and outcome; the actor's
kind and role and the organization join them (NULL for older rows), with the indexes the shared
reader (taquilla.audit.v1.AuditService) pages with. The append-only trigger of 0002 stays; PUBLIC
loses UPDATE, DELETE and TRUNCATE as on the other services' logs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

from taquilla_runtime.audit import audit_log_indexes

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "identity"


def upgrade() -> None:
    op.execute(
        f"ALTER TABLE {SCHEMA}.audit_log ADD COLUMN actor_kind text, ADD COLUMN actor_role text,"
        " ADD COLUMN organization_id uuid"
    )
    # The identity column and now() stay: handlers insert without them.
    for statement in audit_log_indexes(SCHEMA):
        op.execute(statement)
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {SCHEMA}.audit_log FROM PUBLIC")


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {SCHEMA}.audit_log_newest")
    op.execute(f"DROP INDEX IF EXISTS {SCHEMA}.audit_log_organization")
    op.execute(
        f"ALTER TABLE {SCHEMA}.audit_log DROP COLUMN actor_kind, DROP COLUMN actor_role,"
        " DROP COLUMN organization_id"
    )
