"""A reservation that arrives before the catalog's message reads the event through from event_svc
(both services real: PostgreSQL databases, gRPC on 127.0.0.1)."""

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from functools import partial

import pytest
import pytest_asyncio
from google.protobuf.timestamp_pb2 import Timestamp

from devstack.pytest_plugin import PostgresServer
from devstack.testing import in_process_service
from event_svc.bootstrap import build_servicer
from event_svc.config import SCHEMA as CATALOG_SCHEMA
from event_svc.entrypoints.cli import MIGRATIONS as CATALOG_MIGRATIONS
from event_svc.entrypoints.grpc_server import SERVICE_NAME
from taquilla.events.v1 import event_service_pb2 as events_pb
from taquilla.events.v1 import event_service_pb2_grpc
from taquilla_runtime import migrations
from taquilla_runtime.db import create_engine
from taquilla_runtime.grpc_errors import field_errors_from_trailers
from taquilla_runtime.principal import Principal, PrincipalKind, Role
from ticketing_svc.adapters.catalog_reader import GrpcCatalogReader
from ticketing_svc.bootstrap import UseCases
from ticketing_svc.domain import commands
from ticketing_svc.domain.commands import Actor
from ticketing_svc.domain.errors import SessionNotFound
from ticketing_svc.domain.model import ItemRequest

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
def catalog_url(postgres_server: PostgresServer) -> str:
    url = postgres_server.url("event_svc")
    migrations.upgrade(CATALOG_MIGRATIONS, url, CATALOG_SCHEMA)
    return url


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def event_svc_address(catalog_url: str) -> AsyncIterator[str]:
    url = catalog_url
    engine = create_engine(url, schema=CATALOG_SCHEMA, application_name="event_svc-for-ticketing-tests")
    try:
        async with in_process_service(
            SERVICE_NAME,
            partial(event_service_pb2_grpc.add_EventServiceServicer_to_server, build_servicer(engine)),
        ) as address:
            yield address
    finally:
        await engine.dispose()


def _stamp(days: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=days))
    return stamp


async def publish_event(address: str) -> events_pb.Event:
    import grpc

    organizer = Principal(uuid.uuid4(), PrincipalKind.USER, Role.ORGANIZER, organization_id=uuid.uuid4())
    async with grpc.aio.insecure_channel(address) as channel:
        stub = event_service_pb2_grpc.EventServiceStub(channel)
        call = stub.CreateEvent(
            events_pb.CreateEventRequest(
                publish=True,
                event=events_pb.EventInput(
                    name=f"Estreno {uuid.uuid4().hex[:8]}",
                    category=events_pb.CATEGORY_CONCERT,
                    venue=events_pb.Venue(
                        name=f"Sala {uuid.uuid4().hex[:8]}", city="Madrid", address="Gran Vía 1"
                    ),
                    starts_at=_stamp(30),
                    ends_at=_stamp(30.2),
                    timezone="Europe/Madrid",
                    zones=[
                        events_pb.ZoneInput(
                            name="Pista", price=events_pb.Money(amount="30.00", currency="EUR"), capacity=4
                        )
                    ],
                    sessions=[
                        events_pb.SessionInput(
                            starts_at=_stamp(30),
                            ends_at=_stamp(30.2),
                        )
                    ],
                ),
            ),
            metadata=(organizer.to_metadata(),),
        )
        try:
            reply = await call
        except grpc.aio.AioRpcError as exc:
            raise AssertionError(field_errors_from_trailers(exc.trailing_metadata())) from exc
    return reply.event


async def test_a_reservation_before_the_catalog_message_reads_the_event_through(
    ticketing_engine: object, event_svc_address: str, clock: object
) -> None:
    event = await publish_event(event_svc_address)
    reader = GrpcCatalogReader(event_svc_address)
    use_cases = UseCases(ticketing_engine, catalog=reader, clock=clock)  # type: ignore[arg-type]
    try:
        held = await use_cases.reserve(
            commands.Reserve(
                actor=Actor(uuid.uuid4()),
                session_id=uuid.UUID(event.sessions[0].id),
                items=(ItemRequest(uuid.UUID(event.zones[0].id), 3),),
            )
        )
        assert str(held.event_id) == event.id
        assert held.total.amount == 90
        # Unknown to both services: not found, and nothing stored.
        with pytest.raises(SessionNotFound):
            await use_cases.reserve(
                commands.Reserve(Actor(uuid.uuid4()), uuid.uuid4(), (ItemRequest(uuid.uuid4(), 1),))
            )
    finally:
        await reader.close()
