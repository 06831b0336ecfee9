"""A migrated ticketing database and the use cases wired as the service wires them (real PostgreSQL)."""

import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from devstack.ledger import check_ledger
from devstack.pytest_plugin import PostgresServer
from taquilla_runtime import migrations
from taquilla_runtime.db import create_engine
from ticketing_svc.bootstrap import UseCases
from ticketing_svc.config import SCHEMA
from ticketing_svc.entrypoints.cli import MIGRATIONS


class MovableClock:
    """A clock the test moves forward: holds expire without anyone sleeping."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture(scope="session")
def ticketing_database_url(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.url("ticketing_svc")
    migrations.upgrade(MIGRATIONS, url, SCHEMA)
    yield url
    # Whatever the tests did, money in equals tickets issued plus refunds, order by order.
    problems = check_ledger(url)
    if problems:
        pytest.fail("ticketing's books do not balance:\n" + "\n".join(problems[:20]), pytrace=False)


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def ticketing_engine(ticketing_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(
        ticketing_database_url,
        schema=SCHEMA,
        application_name="ticketing_svc-tests",
        pool_size=20,
        server_settings={"lock_timeout": "5000"},
    )
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def use_cases_for(ticketing_engine: AsyncEngine) -> Callable[[MovableClock], UseCases]:
    return lambda clock: UseCases(ticketing_engine, catalog=None, clock=clock)
