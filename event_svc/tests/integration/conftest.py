"""A migrated catalog database and an in-process EventService on port 0 (real PostgreSQL, real gRPC)."""

from collections.abc import AsyncIterator
from functools import partial

import grpc
import pytest
import pytest_asyncio
from catalog_requests import Catalog
from sqlalchemy.ext.asyncio import AsyncEngine

from devstack.pytest_plugin import PostgresServer
from event_svc.bootstrap import build_servicer
from event_svc.config import SCHEMA
from event_svc.entrypoints.cli import MIGRATIONS
from event_svc.entrypoints.grpc_server import SERVICE_NAME
from taquilla.events.v1 import event_service_pb2_grpc
from taquilla_runtime import migrations
from taquilla_runtime.db import create_engine
from taquilla_runtime.grpc_server import GrpcService


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


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def catalog(catalog_engine: AsyncEngine) -> AsyncIterator[Catalog]:
    service = GrpcService(
        address="127.0.0.1:0",
        service_names=[SERVICE_NAME],
        register=[
            partial(event_service_pb2_grpc.add_EventServiceServicer_to_server, build_servicer(catalog_engine))
        ],
        grace_seconds=1,
    )
    await service.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{service.port}")
    try:
        yield Catalog(event_service_pb2_grpc.EventServiceStub(channel))
    finally:
        await channel.close()
        await service.stop()
