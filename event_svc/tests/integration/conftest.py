"""A migrated catalog database and an in-process EventService on port 0 (real PostgreSQL, real gRPC)."""

from collections.abc import AsyncIterator
from functools import partial

import grpc
import pytest
import pytest_asyncio
from catalog_requests import Catalog
from sqlalchemy.ext.asyncio import AsyncEngine

from devstack.pytest_plugin import PostgresServer
from devstack.testing import in_process_service
from event_svc.adapters.ticketing import GrpcTakenPlaces
from event_svc.bootstrap import build_servicer
from event_svc.config import SCHEMA
from event_svc.entrypoints.cli import MIGRATIONS
from event_svc.entrypoints.grpc_server import SERVICE_NAME
from taquilla.events.v1 import event_service_pb2_grpc
from taquilla.ticketing.v1 import ticketing_service_pb2_grpc
from taquilla_runtime import migrations
from taquilla_runtime.db import create_engine
from ticketing_svc.bootstrap import UseCases
from ticketing_svc.bootstrap import build_servicer as build_ticketing_servicer
from ticketing_svc.config import SCHEMA as TICKETING_SCHEMA
from ticketing_svc.entrypoints.cli import MIGRATIONS as TICKETING_MIGRATIONS
from ticketing_svc.entrypoints.grpc_server import SERVICE_NAME as TICKETING_SERVICE_NAME


@pytest.fixture(scope="session")
def catalog_database_url(postgres_server: PostgresServer) -> str:
    url = postgres_server.url("event_svc")
    migrations.upgrade(MIGRATIONS, url, SCHEMA)
    return url


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def catalog_engine(catalog_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(catalog_database_url, schema=SCHEMA, application_name="event_svc-tests")
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def ticketing_database_url(postgres_server: PostgresServer) -> str:
    url = postgres_server.url("ticketing_svc")
    migrations.upgrade(TICKETING_MIGRATIONS, url, TICKETING_SCHEMA)
    return url


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def ticketing(ticketing_database_url: str) -> AsyncIterator[tuple[str, UseCases]]:
    """The real ticketing_svc in process (its own database): the catalog asks it what is taken."""
    engine = create_engine(
        ticketing_database_url, schema=TICKETING_SCHEMA, application_name="ticketing-for-catalog"
    )
    use_cases = UseCases(engine, catalog=None)
    servicer = build_ticketing_servicer(use_cases)
    try:
        async with in_process_service(
            TICKETING_SERVICE_NAME,
            partial(ticketing_service_pb2_grpc.add_TicketingServiceServicer_to_server, servicer),
        ) as address:
            yield address, use_cases
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def catalog(catalog_engine: AsyncEngine, ticketing: tuple[str, UseCases]) -> AsyncIterator[Catalog]:
    taken = GrpcTakenPlaces(ticketing[0])
    servicer = build_servicer(catalog_engine, taken)
    try:
        async with (
            in_process_service(
                SERVICE_NAME, partial(event_service_pb2_grpc.add_EventServiceServicer_to_server, servicer)
            ) as address,
            grpc.aio.insecure_channel(address) as channel,
        ):
            yield Catalog(event_service_pb2_grpc.EventServiceStub(channel))
    finally:
        await taken.close()
