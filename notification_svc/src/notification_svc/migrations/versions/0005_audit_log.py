"""audit_log: the append-only audit trail of this service's state-changing calls

Every audited gRPC call is recorded here (taquilla_runtime.audit, docs/adr/0019-one-audit-trail.md):
a success in the same transaction as the change, a refusal after the call. A trigger refuses UPDATE,
DELETE and TRUNCATE, even by the table's owner.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

from taquilla_runtime.audit import audit_log_ddl, drop_audit_log_ddl

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notifications"


def upgrade() -> None:
    for statement in audit_log_ddl(SCHEMA):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_audit_log_ddl(SCHEMA):
        op.execute(statement)
