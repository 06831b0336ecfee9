"""Alembic glue shared by every service: each service keeps its own history in its own schema.

A service's ``migrations/env.py`` calls :func:`run_env`; its CLI calls :func:`upgrade`.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def alembic_config(script_location: Path, database_url: str, schema: str) -> Config:
    if not _IDENTIFIER.match(schema):
        raise ValueError(f"invalid schema name {schema!r}")
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["schema"] = schema
    return config


def upgrade(script_location: Path, database_url: str, schema: str, revision: str = "head") -> None:
    """Applies the service's migrations up to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(script_location, database_url, schema), revision)


def _run_sync(connection: Connection, metadata: MetaData, schema: str) -> None:
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    connection.execute(text(f'SET search_path TO "{schema}", public'))
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=schema,
        include_schemas=False,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_env(metadata: MetaData) -> None:
    """Body of every service's ``env.py`` (online mode, asyncpg)."""
    config = context.config
    schema = str(config.attributes.get("schema") or metadata.schema)
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: run migrations through `python -m <service> migrate`")

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.begin() as connection:
            await connection.run_sync(_run_sync, metadata, schema)
        await engine.dispose()

    asyncio.run(run())
