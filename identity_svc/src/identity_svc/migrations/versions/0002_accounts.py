"""organizations, users, API clients, refresh tokens, signing keys and the append-only audit log

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

S = "identity"
UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("deleted_at", TS),
        schema=S,
    )
    op.execute(
        f"CREATE UNIQUE INDEX uq_organizations_name ON {S}.organizations (lower(name)) WHERE deleted_at IS NULL"
    )
    op.create_table(
        "users",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("full_name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("organization_id", UUID, sa.ForeignKey(f"{S}.organizations.id")),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("locked_until", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("last_login_at", TS),
        sa.Column("deleted_at", TS),
        sa.CheckConstraint("role IN ('admin', 'organizer', 'customer', 'staff')", name="ck_users_role"),
        sa.CheckConstraint(
            "(role IN ('organizer', 'staff')) = (organization_id IS NOT NULL)", name="ck_users_membership"
        ),
        schema=S,
    )
    op.execute(f"CREATE UNIQUE INDEX uq_users_email ON {S}.users (lower(email)) WHERE deleted_at IS NULL")
    op.create_table(
        "api_clients",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("client_id", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("secret_hash", sa.Text, nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("rate_limit_tier", sa.Text, nullable=False),
        sa.Column("organization_id", UUID, sa.ForeignKey(f"{S}.organizations.id")),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("deleted_at", TS),
        schema=S,
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("family_id", UUID, nullable=False, index=True),
        sa.Column("user_id", UUID, sa.ForeignKey(f"{S}.users.id"), nullable=False),
        sa.Column("token_hash", sa.Text, nullable=False, unique=True),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS),
        sa.Column("revoked_at", TS),
        schema=S,
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.Text, primary_key=True),
        sa.Column("private_key", sa.LargeBinary, nullable=False),
        sa.Column("public_x", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        schema=S,
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("occurred_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("correlation_id", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        schema=S,
    )
    # Append-only: even the service's own role cannot rewrite history.
    op.execute(f"""
        CREATE FUNCTION {S}.audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only';
        END $$
    """)
    op.execute(f"""
        CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {S}.audit_log
            FOR EACH STATEMENT EXECUTE FUNCTION {S}.audit_log_is_append_only()
    """)


def downgrade() -> None:
    op.execute(f"DROP TABLE IF EXISTS {S}.audit_log")
    op.execute(f"DROP FUNCTION IF EXISTS {S}.audit_log_is_append_only()")
    for table in ("signing_keys", "refresh_tokens", "api_clients", "users", "organizations"):
        op.drop_table(table, schema=S)
