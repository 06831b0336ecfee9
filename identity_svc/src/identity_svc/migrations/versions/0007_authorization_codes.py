"""authorization_codes: one-time codes of the authorization code flow with PKCE

Stored only as SHA-256 hashes, bound to the client, the redirect URI and the S256 challenge; valid
60 seconds. Redeeming is one conditional update (``used_at IS NULL AND expires_at > now``), so of
concurrent redemptions exactly one succeeds.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "identity"
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.Text, primary_key=True),
        sa.Column("client_id", sa.Text, nullable=False),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("code_challenge", sa.Text, nullable=False),
        sa.Column(
            "user_id", postgresql.UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.users.id"), nullable=False
        ),
        sa.Column("scope", sa.Text),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS),
        schema=SCHEMA,
    )
    op.create_index("ix_authorization_codes_expires_at", "authorization_codes", ["expires_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("authorization_codes", schema=SCHEMA)
