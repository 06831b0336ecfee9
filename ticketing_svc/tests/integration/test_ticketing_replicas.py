"""Two ticketing_svc processes (two replicas behind the edge) sell one sale out exactly.

Both run ``python -m ticketing_svc serve`` on the same database. Buyers ask for ten times the places
there are, their requests spread over both processes; every answer is recorded and compared with the
database as in test_ticketing_crash: every accepted hold exists, none was invented, the inventory
holds exactly what the reservations hold (never more than the capacity), and the outbox has one
message per hold. Both processes took part.
"""

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from test_ticketing_crash import (
    CAPACITY,
    ZONES,
    Attempt,
    History,
    TicketingProcess,
    check_history_against_rows,
    check_inventory_tallies_and_outbox,
    reservations_of,
)
from ticketing_factories import catalog_message, make_event

from taquilla.ticketing.v1 import ticketing_service_pb2_grpc
from taquilla_runtime.principal import Principal, PrincipalKind, Role
from taquilla_runtime.scopes import TICKETS_READ, TICKETS_WRITE
from ticketing_svc.bootstrap import UseCases
from ticketing_svc.domain.model import SaleSettings
from ticketing_svc.entrypoints.catalog_messages import command_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
BUYER_SCOPES = frozenset({TICKETS_READ, TICKETS_WRITE})

OVER_DEMAND = 10
CLIENTS = 24
BUYERS = 400
SALE_DEADLINE = 240.0


@pytest.fixture
def replicas(ticketing_database_url: str, tmp_path: Path) -> Iterator[list[TicketingProcess]]:
    processes = [
        TicketingProcess(ticketing_database_url, tmp_path / f"ticketing_svc-{n}.log") for n in (1, 2)
    ]
    try:
        yield processes
    finally:
        for process in processes:
            if process.alive():
                process.popen.kill()  # type: ignore[union-attr]
                process.popen.wait(timeout=10)  # type: ignore[union-attr]


@pytest_asyncio.fixture(loop_scope="session")
async def replica_channels(replicas: list[TicketingProcess]) -> AsyncIterator[list[grpc.aio.Channel]]:
    opened = [grpc.aio.insecure_channel(process.address) for process in replicas]
    try:
        yield opened
    finally:
        for channel in opened:
            await channel.close()


async def test_two_processes_sell_out_exactly_under_ten_times_the_demand(
    replicas: list[TicketingProcess],
    replica_channels: list[grpc.aio.Channel],
    ticketing_engine: AsyncEngine,
) -> None:
    event = make_event(zones=ZONES, capacity=CAPACITY, settings=SaleSettings(hold_minutes=30))
    command = command_for(catalog_message(event))
    assert command is not None
    assert await UseCases(ticketing_engine, catalog=None).follow_catalog(command)
    for process, channel in zip(replicas, replica_channels, strict=True):
        process.start()
        await process.serving(channel)

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    # Through a real server: its scope check wants what a buyer's token carries.
    buyers = [
        Principal(uuid.uuid4(), PrincipalKind.USER, role=Role.CUSTOMER, scopes=BUYER_SCOPES)
        for _ in range(BUYERS)
    ]
    zone_ids = [zone.id for zone in event.zones]
    attempts: list[Attempt] = []
    while sum(q for a in attempts for _, q in a.items) < OVER_DEMAND * ZONES * CAPACITY:
        zone = rng.choice(zone_ids)
        attempts.append(Attempt(rng.choice(buyers), str(uuid.uuid4()), ((zone, rng.randint(1, 4)),)))
    stubs = [ticketing_service_pb2_grpc.TicketingServiceStub(channel) for channel in replica_channels]
    history = History()
    accepted_by: Counter[int] = Counter()
    queue: asyncio.Queue[tuple[int, Attempt]] = asyncio.Queue()
    for n, attempt in enumerate(attempts):
        queue.put_nowait((n % len(stubs), attempt))

    async def client() -> None:
        while not queue.empty():
            replica, attempt = queue.get_nowait()
            try:
                reply = await stubs[replica].Reserve(
                    attempt.request(event.sessions[0].id),
                    metadata=(attempt.buyer.to_metadata(),),
                    timeout=30,
                    wait_for_ready=True,
                )
            except grpc.aio.AioRpcError as error:
                if error.code() is not grpc.StatusCode.FAILED_PRECONDITION:
                    raise AssertionError(f"not a refusal: {error.code()} {error.details()}") from error
                history.record_refusal(attempt, error)
            else:
                history.record_ok(attempt, reply.reservation)
                accepted_by[replica] += 1

    async with asyncio.timeout(SALE_DEADLINE):
        await asyncio.gather(*(client() for _ in range(CLIENTS)))

    print(f"seed {seed}: {len(attempts)} requests, {len(history.ok)} ok {dict(accepted_by)}")
    assert not history.unknown
    assert len(history.ok) + len(history.refused) == len(attempts)
    assert set(accepted_by) == {0, 1}, f"both processes sold (seed {seed}): {dict(accepted_by)}"
    rows = await reservations_of(ticketing_engine, event)
    assert set(rows) == set(history.ok)
    check_history_against_rows(history, rows)
    # Held exactly the capacity of each zone, never more; tallies and one outbox message per hold.
    await check_inventory_tallies_and_outbox(ticketing_engine, event, rows)
    for process in replicas:
        await process.stop()
