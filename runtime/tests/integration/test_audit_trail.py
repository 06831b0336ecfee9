"""The audit trail as every service runs it: audited calls recorded through the gRPC server (a success in
the transaction of its change, a refusal after the call), the log append-only in the database, and
the shared AuditService reading it with filters and keyset pagination."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from devstack.pytest_plugin import PostgresServer
from devstack.testing import eventually
from taquilla.audit.v1 import audit_service_pb2 as pb
from taquilla.audit.v1 import audit_service_pb2_grpc
from taquilla_runtime.audit import AuditedMethod, AuditTrail, audit_log_ddl, audited_methods
from taquilla_runtime.correlation import GRPC_METADATA_KEY
from taquilla_runtime.db import SqlTransaction, create_engine
from taquilla_runtime.grpc_errors import NamedProblem, abort_with_problem
from taquilla_runtime.grpc_server import GrpcService
from taquilla_runtime.principal import Principal, PrincipalKind, Role

pytestmark = pytest.mark.asyncio(loop_scope="session")

SERVICE = "taquilla.test.v1.Shop"
# The shared request message stands in for a service's own: its fields name the target and organization.
Request = pb.ListAuditEntriesRequest
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


class Transaction(SqlTransaction):
    def bind(self, connection: AsyncConnection) -> None:
        self.connection = connection


@dataclass
class Shop:
    engine: AsyncEngine
    schema: str
    service: GrpcService
    seen_in_transaction: list[int]

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.service.port}"

    async def rows(self) -> list[sa.Row[tuple[object, ...]]]:
        async with self.engine.connect() as connection:
            result = await connection.execute(sa.text("SELECT * FROM audit_log ORDER BY id"))
            return list(result.all())


go_on = asyncio.Event()
background: list[asyncio.Task[None]] = []


def register_shop(engine: AsyncEngine, seen_in_transaction: list[int]) -> object:
    async def change(request: Request, context: grpc.aio.ServicerContext) -> Request:
        async with Transaction(engine) as uow:
            await uow.connection.execute(sa.text("INSERT INTO things (name) VALUES ('x')"))
            await uow.commit()
        async with engine.connect() as connection:
            # Committed with the change: the entry is there before the call has even answered.
            found = await connection.execute(
                sa.text("SELECT count(*) FROM audit_log WHERE action = 'thing.change'")
            )
            seen_in_transaction.append(int(found.scalar_one()))
        return request

    async def refuse(request: Request, context: grpc.aio.ServicerContext) -> Request:
        await abort_with_problem(
            context, grpc.StatusCode.FAILED_PRECONDITION, "Sold out.", NamedProblem("sold-out", {})
        )

    async def replay(request: Request, context: grpc.aio.ServicerContext) -> Request:
        return request  # an idempotent repeat: nothing committed

    async def later(request: Request, context: grpc.aio.ServicerContext) -> Request:
        async def commit_later() -> None:
            await go_on.wait()
            async with Transaction(engine) as uow:
                await uow.connection.execute(sa.text("INSERT INTO things (name) VALUES ('later')"))
                await uow.commit()

        background.append(asyncio.create_task(commit_later()))
        return request

    def handler(function: object) -> grpc.RpcMethodHandler:
        return grpc.unary_unary_rpc_method_handler(
            function, request_deserializer=Request.FromString, response_serializer=Request.SerializeToString
        )

    def register(server: grpc.aio.Server) -> None:
        server.add_generic_rpc_handlers(
            (
                grpc.method_handlers_generic_handler(
                    SERVICE,
                    {
                        "Change": handler(change),
                        "Refuse": handler(refuse),
                        "Replay": handler(replay),
                        "Later": handler(later),
                    },
                ),
            )
        )

    return register


AUDITED = audited_methods(
    SERVICE,
    {
        "Change": AuditedMethod("thing.change", "thing", "target", organization_field="organization_id"),
        "Refuse": AuditedMethod("thing.refuse", "thing", "target"),
        "Replay": AuditedMethod("thing.replay", "thing", "target"),
        "Later": AuditedMethod("thing.later", "thing", "target"),
    },
)


@pytest_asyncio.fixture(loop_scope="session")
async def shop(postgres_server: PostgresServer) -> AsyncIterator[Shop]:
    schema = f"audit_{uuid.uuid4().hex[:12]}"
    engine = create_engine(postgres_server.url("ticketing_svc"), schema=schema, application_name=schema)
    async with engine.begin() as connection:
        await connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        await connection.execute(sa.text(f"CREATE TABLE {schema}.things (name text)"))
        for statement in audit_log_ddl(schema):
            await connection.execute(sa.text(statement))
    seen: list[int] = []
    service = GrpcService(
        address="127.0.0.1:0",
        service_names=[SERVICE],
        register=[register_shop(engine, seen)],  # type: ignore[list-item]
        # Waits for every after-call write, however loaded the machine: the tests read right after.
        audit=AuditTrail(engine, AUDITED, clock=lambda: NOW, after_call_seconds=60),
    )
    runner = asyncio.create_task(service.run())
    await eventually(lambda: service.port != 0, within=5, what="the server listening")
    yield Shop(engine, schema, service, seen)
    service.request_stop()
    await runner
    async with engine.begin() as connection:
        await connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    await engine.dispose()


ORGANIZATION = uuid.uuid4()
ORGANIZER = Principal(uuid.uuid4(), PrincipalKind.USER, Role.ORGANIZER, ORGANIZATION)
ADMIN = Principal(uuid.uuid4(), PrincipalKind.USER, Role.ADMIN)
CUSTOMER = Principal(uuid.uuid4(), PrincipalKind.USER, Role.CUSTOMER)


async def call(shop: Shop, method: str, request: Request, principal: Principal, correlation_id: str) -> None:
    async with grpc.aio.insecure_channel(shop.target) as channel:
        stub = channel.unary_unary(
            f"/{SERVICE}/{method}",
            request_serializer=Request.SerializeToString,
            response_deserializer=Request.FromString,
        )
        await stub(
            request, metadata=(principal.to_metadata(), (GRPC_METADATA_KEY, correlation_id)), timeout=5
        )


async def read(shop: Shop, principal: Principal, **filters: Any) -> pb.ListAuditEntriesResponse:
    async with grpc.aio.insecure_channel(shop.target) as channel:
        reply: pb.ListAuditEntriesResponse = await audit_service_pb2_grpc.AuditServiceStub(
            channel
        ).ListAuditEntries(
            pb.ListAuditEntriesRequest(**filters), metadata=(principal.to_metadata(),), timeout=5
        )
        return reply


async def test_a_success_is_recorded_with_its_change_and_a_refusal_after_the_call(shop: Shop) -> None:
    thing = str(uuid.uuid4())
    correlation = str(uuid.uuid4())
    await call(shop, "Change", Request(target=thing, organization_id=str(ORGANIZATION)), ADMIN, correlation)
    assert shop.seen_in_transaction == [1]
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(shop, "Refuse", Request(target=thing), CUSTOMER, correlation)
    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    await call(shop, "Replay", Request(target="not an id: alice@example.com"), ORGANIZER, correlation)

    change, refusal, replay = await shop.rows()
    assert (change.action, change.target, change.outcome) == ("thing.change", f"thing:{thing}", "success")
    assert (change.actor, change.actor_kind, change.actor_role) == (str(ADMIN.subject), "user", "admin")
    assert change.organization_id == ORGANIZATION  # named by the request, not by the (admin) caller
    assert change.correlation_id == correlation
    assert change.occurred_at == NOW
    assert (refusal.action, refusal.outcome, refusal.actor) == (
        "thing.refuse",
        "sold-out",
        str(CUSTOMER.subject),
    )
    assert refusal.organization_id is None
    # Nothing committed: written after the call. Not id-shaped: never written.
    assert (replay.outcome, replay.target, replay.organization_id) == (
        "success",
        "thing:unknown",
        ORGANIZATION,
    )
    assert "alice" not in repr(await shop.rows())


async def test_a_commit_of_a_task_the_call_started_records_nothing_more(shop: Shop) -> None:
    await call(shop, "Later", Request(target="t2"), ADMIN, str(uuid.uuid4()))
    go_on.set()
    await asyncio.gather(*background)
    async with shop.engine.connect() as connection:
        assert (
            await connection.execute(sa.text("SELECT count(*) FROM things WHERE name = 'later'"))
        ).scalar() == 1
    assert [(row.action, row.outcome) for row in await shop.rows()] == [("thing.later", "success")]


async def test_the_log_refuses_updates_deletes_and_truncation(shop: Shop) -> None:
    await call(shop, "Replay", Request(target="t1"), ADMIN, str(uuid.uuid4()))
    for statement in (
        "UPDATE audit_log SET outcome = 'success'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        async with shop.engine.connect() as connection:
            with pytest.raises(DBAPIError, match="append-only"):
                await connection.execute(sa.text(statement))
    assert await shop.rows()


async def test_admins_page_through_everything_and_organizers_through_their_organization(shop: Shop) -> None:
    for n in range(5):
        await call(shop, "Replay", Request(target=f"p{n}"), ORGANIZER, str(uuid.uuid4()))

    mine = {"page_size": 2, "action_prefix": "thing.replay", "actor": str(ORGANIZER.subject)}
    first = await read(shop, ADMIN, **mine)
    second = await read(shop, ADMIN, **mine, page_token=first.next_page_token)
    third = await read(shop, ADMIN, **mine, page_token=second.next_page_token)
    targets = [e.target for page in (first, second, third) for e in page.entries]
    assert targets == [f"thing:p{n}" for n in (4, 3, 2, 1, 0)]  # same time: newest id first
    assert third.next_page_token == ""
    # An entry's cursor continues right after it (the edge merges several services' logs with it).
    after = await read(
        shop, ADMIN, page_size=1, actor=str(ORGANIZER.subject), page_token=first.entries[0].cursor
    )
    assert after.entries[0].target == "thing:p3"

    own = await read(shop, ORGANIZER, organization_id=str(ORGANIZATION), target="thing:p4")
    assert [(e.actor_role, e.organization_id) for e in own.entries] == [("organizer", str(ORGANIZATION))]
    for principal, filters in (
        (ORGANIZER, {}),
        (ORGANIZER, {"organization_id": str(uuid.uuid4())}),
        (CUSTOMER, {"organization_id": str(ORGANIZATION)}),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await read(shop, principal, **filters)
        assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await read(shop, ADMIN, page_token="garbage")
    assert invalid.value.code() is grpc.StatusCode.INVALID_ARGUMENT
