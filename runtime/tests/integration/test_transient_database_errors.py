"""PostgreSQL's "busy, try again" answers are told apart from faults, through SQLAlchemy and asyncpg
as the services use them, so that ErrorsAsStatus answers UNAVAILABLE (and the edge 503) for them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from devstack.pytest_plugin import PostgresServer
from taquilla_runtime.db import create_engine
from taquilla_runtime.grpc_errors import is_transient_database_error

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_lock_and_statement_timeouts_are_transient_and_faults_are_not(
    postgres_server: PostgresServer,
) -> None:
    engine = create_engine(
        postgres_server.url("ticketing_svc"), schema="public", application_name="transient-test"
    )
    try:
        async with engine.connect() as holder, engine.connect() as waiter:
            await holder.execute(sa.text("SELECT pg_advisory_lock(424242)"))
            await waiter.execute(sa.text("SET lock_timeout = '50ms'"))
            with pytest.raises(DBAPIError) as lock:
                await waiter.execute(sa.text("SELECT pg_advisory_lock(424242)"))
            assert is_transient_database_error(lock.value)
            await waiter.rollback()
            await holder.execute(sa.text("SELECT pg_advisory_unlock(424242)"))

            await waiter.execute(sa.text("SET statement_timeout = '50ms'"))
            with pytest.raises(DBAPIError) as slow:
                await waiter.execute(sa.text("SELECT pg_sleep(2)"))
            assert is_transient_database_error(slow.value)
            await waiter.rollback()

            with pytest.raises(DBAPIError) as fault:
                await waiter.execute(sa.text("SELECT 1 / 0"))
            assert not is_transient_database_error(fault.value)
    finally:
        await engine.dispose()
    assert not is_transient_database_error(ValueError("not a database error"))
