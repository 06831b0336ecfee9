"""The on-sale waiting room against a real Redis and PostgreSQL: one entry per account, early
arrivals in a drawn order ahead of later ones, admission by the clock, gated reservations, and a
Redis that does not answer lets nobody in."""

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from ticketing_factories import buyer, catalog_message, make_event

from devstack.infra import Redis as RedisServer
from devstack.processes import free_port
from ticketing_svc.adapters.waiting_room import RedisWaitingRoom
from ticketing_svc.bootstrap import UseCases
from ticketing_svc.domain import commands
from ticketing_svc.domain.errors import (
    AdmissionRequired,
    NoWaitingRoom,
    QueueEntryNotFound,
    WaitingRoomUnavailable,
)
from ticketing_svc.domain.model import CatalogEvent, ItemRequest, SaleSettings
from ticketing_svc.domain.waiting_room import QueueStatus
from ticketing_svc.entrypoints.catalog_messages import command_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
SECRET = b"waiting-room-tests-secret-32-bytes!"


@pytest_asyncio.fixture(loop_scope="session")
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(f"redis://127.0.0.1:{redis_server.port}/0")
    yield client
    await client.aclose()


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def gated(on_sale_at: dt.datetime, rate: int = 60, capacity: int = 100) -> CatalogEvent:
    return make_event(
        capacity=capacity,
        settings=SaleSettings(on_sale_at=on_sale_at, waiting_room=True, admission_per_minute=rate),
    )


async def on_sale(use_cases: UseCases, event: CatalogEvent) -> None:
    command = command_for(catalog_message(event))
    assert command is not None
    await use_cases.follow_catalog(command)


async def test_early_arrivals_are_drawn_ahead_of_later_ones_and_admitted_by_the_clock(
    ticketing_engine: AsyncEngine, redis: Redis
) -> None:
    opens = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=10)
    clock = Clock(opens - dt.timedelta(minutes=5))
    use_cases = UseCases(
        ticketing_engine, catalog=None, clock=clock, room=RedisWaitingRoom(redis), admission_secret=SECRET
    )
    event = gated(opens, rate=60)
    await on_sale(use_cases, event)
    early = [buyer() for _ in range(20)]
    joined = await asyncio.gather(*(use_cases.join_queue(commands.JoinQueue(b, event.id)) for b in early))
    assert {s.status for s in joined} == {QueueStatus.WAITING}
    assert {s.position for s in joined} == {None}  # the order is drawn, not told, before the on-sale
    again = await use_cases.join_queue(commands.JoinQueue(early[0], event.id))
    assert again.entry.id == joined[0].entry.id  # one entry per account

    clock.now = opens + dt.timedelta(seconds=1)
    late = buyer()
    late_entry = await use_cases.join_queue(commands.JoinQueue(late, event.id))
    ranks = [
        (await use_cases.queue_standing(commands.GetQueueStanding(b, s.entry.id))).entry.rank
        for b, s in zip(early, joined, strict=True)
    ]
    assert sorted(r for r in ranks if r is not None) == list(range(20))
    assert late_entry.entry.rank == 20  # behind every early arrival

    # 60 a minute: after 10 s the first 10 are in; the late arrival waits its turn.
    clock.now = opens + dt.timedelta(seconds=10)
    admitted = [
        (await use_cases.queue_standing(commands.GetQueueStanding(b, s.entry.id))).status
        for b, s in zip(early, joined, strict=True)
    ]
    assert admitted.count(QueueStatus.ADMITTED) == 10
    waiting = await use_cases.queue_standing(commands.GetQueueStanding(late, late_entry.entry.id))
    assert (waiting.status, waiting.position, waiting.estimated_wait_seconds) == (QueueStatus.WAITING, 11, 11)
    with pytest.raises(QueueEntryNotFound):
        await use_cases.queue_standing(commands.GetQueueStanding(buyer(), late_entry.entry.id))


async def test_a_gated_sale_reserves_only_with_the_buyers_own_admission(
    ticketing_engine: AsyncEngine, redis: Redis
) -> None:
    opens = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=1)
    clock = Clock(opens + dt.timedelta(minutes=1))
    use_cases = UseCases(
        ticketing_engine, catalog=None, clock=clock, room=RedisWaitingRoom(redis), admission_secret=SECRET
    )
    event = gated(opens, rate=600)
    await on_sale(use_cases, event)
    me, other = buyer(), buyer()

    def reserving(actor: commands.Actor, admission: str | None) -> commands.Reserve:
        return commands.Reserve(
            actor=actor,
            session_id=event.sessions[0].id,
            items=(ItemRequest(event.zones[0].id, 1),),
            admission=admission,
        )

    with pytest.raises(AdmissionRequired):
        await use_cases.reserve(reserving(me, None))
    standing = await use_cases.join_queue(commands.JoinQueue(me, event.id))
    assert standing.status is QueueStatus.ADMITTED
    with pytest.raises(AdmissionRequired):
        await use_cases.reserve(reserving(other, standing.admission))  # someone else's admission
    await use_cases.reserve(reserving(me, standing.admission))
    clock.now += dt.timedelta(minutes=11)
    with pytest.raises(AdmissionRequired):
        await use_cases.reserve(reserving(me, standing.admission))  # expired

    ungated = make_event()
    await on_sale(use_cases, ungated)
    with pytest.raises(NoWaitingRoom):
        await use_cases.join_queue(commands.JoinQueue(me, ungated.id))


async def test_everyone_waiting_is_told_when_the_sale_is_over(
    ticketing_engine: AsyncEngine, redis: Redis
) -> None:
    opens = dt.datetime.now(dt.UTC).replace(microsecond=0)
    use_cases = UseCases(
        ticketing_engine,
        catalog=None,
        clock=lambda: opens,
        room=RedisWaitingRoom(redis),
        admission_secret=SECRET,
    )
    event = gated(opens, rate=1, capacity=2)
    await on_sale(use_cases, event)
    me = buyer()
    mine = await use_cases.join_queue(commands.JoinQueue(me, event.id))
    assert mine.status is QueueStatus.WAITING
    # The last places go to buyers admitted before.
    async with use_cases.uow() as uow:
        await uow.inventory.take(event.sessions[0].id, (ItemRequest(event.zones[0].id, 2),))
        await uow.commit()
    told = await use_cases.queue_standing(commands.GetQueueStanding(me, mine.entry.id))
    assert (told.status, told.admission) == (QueueStatus.SOLD_OUT, None)


async def test_a_waiting_room_that_cannot_be_reached_lets_nobody_in(ticketing_engine: AsyncEngine) -> None:
    unreachable = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    opens = dt.datetime.now(dt.UTC).replace(microsecond=0)
    use_cases = UseCases(
        ticketing_engine,
        catalog=None,
        clock=lambda: opens,
        room=RedisWaitingRoom(unreachable),
        admission_secret=SECRET,
    )
    event = gated(opens - dt.timedelta(minutes=5))
    await on_sale(use_cases, event)
    me = buyer()
    with pytest.raises(WaitingRoomUnavailable):
        await use_cases.join_queue(commands.JoinQueue(me, event.id))
    with pytest.raises(WaitingRoomUnavailable):
        await use_cases.queue_standing(commands.GetQueueStanding(me, uuid.uuid4()))
    with pytest.raises(AdmissionRequired):  # gated sales fail closed
        await use_cases.reserve(
            commands.Reserve(me, event.sessions[0].id, (ItemRequest(event.zones[0].id, 1),))
        )
    await unreachable.aclose()
