"""Database engine helpers: one async engine per service, pinned to the service's own schema."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def create_engine(url: str, *, schema: str, application_name: str, pool_size: int = 10) -> AsyncEngine:
    """Creates an engine whose connections see only ``schema`` (and ``public`` for extensions).

    Nothing connects until the first query, so building an engine at start-up never blocks.
    """
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "server_settings": {
                "search_path": f"{schema},public",
                "application_name": application_name,
                "timezone": "UTC",
            },
            "timeout": 5,
            "command_timeout": 30,
        },
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Raises when the database cannot answer a trivial query."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
