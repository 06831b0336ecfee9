"""Use cases against in-memory fakes: transactions, outbox messages, idempotency and batches."""

import datetime as dt
import json
import uuid

import pytest
from catalog_factories import NOW, at, customer, make_event_input, make_session, make_venue, organizer
from catalog_fakes import FakeUnitOfWork

from event_svc.application import handlers
from event_svc.application.handlers import BatchOutcome
from event_svc.domain import commands
from event_svc.domain.commands import EventChanges, Idempotency
from event_svc.domain.errors import IdempotencyKeyReused, InvalidInput, SessionNotFound, StaleVersion
from event_svc.domain.events import EventCreated, EventPublished, EventUpdated
from event_svc.domain.model import Event, EventStatus

pytestmark = pytest.mark.asyncio(loop_scope="session")
CORRELATION = str(uuid.uuid4())


def clock() -> dt.datetime:
    return NOW


def encode_id(event: Event) -> bytes:
    return json.dumps({"id": str(event.id), "version": event.version}).encode()


def encode_batch(outcome: BatchOutcome) -> bytes:
    return json.dumps(
        {
            "committed": outcome.committed,
            "items": [[i.index, i.status.value, len(i.problems)] for i in outcome.items],
        }
    ).encode()


async def create(uow: FakeUnitOfWork, actor: commands.Actor, **kwargs: object) -> dict[str, object]:
    command = commands.CreateEvent(
        actor=actor,
        correlation_id=CORRELATION,
        event=kwargs.pop("event", None) or make_event_input(),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )
    result: dict[str, object] = json.loads(
        await handlers.create_event(command, uow, encode=encode_id, clock=clock)
    )
    return result


async def test_creating_commits_the_event_and_its_messages_together() -> None:
    uow = FakeUnitOfWork()
    created = await create(uow, organizer(), publish=True)
    event = uow.stored[uuid.UUID(str(created["id"]))]
    assert event.status is EventStatus.PUBLISHED
    assert [type(message) for message, _ in uow.messages] == [EventCreated, EventPublished]
    assert {correlation for _, correlation in uow.messages} == {CORRELATION}
    assert uow.commits == 1


async def test_an_invalid_event_commits_nothing() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(InvalidInput):
        await create(uow, organizer(), event=make_event_input(name=""))
    assert uow.stored == {}
    assert uow.messages == []


async def test_a_replayed_idempotency_key_returns_the_first_response_without_creating_again() -> None:
    uow = FakeUnitOfWork()
    actor = organizer()
    key = Idempotency(key="k-1", fingerprint="f1")
    first = await create(uow, actor, idempotency=key)
    again = await create(uow, actor, idempotency=key)
    assert again == first
    assert len(uow.stored) == 1
    assert len(uow.messages) == 1


async def test_the_same_idempotency_key_with_another_request_is_refused() -> None:
    uow = FakeUnitOfWork()
    actor = organizer()
    await create(uow, actor, idempotency=Idempotency(key="k-1", fingerprint="f1"))
    with pytest.raises(IdempotencyKeyReused):
        await create(uow, actor, idempotency=Idempotency(key="k-1", fingerprint="f2"))


async def test_idempotency_keys_belong_to_their_caller() -> None:
    uow = FakeUnitOfWork()
    key = Idempotency(key="shared", fingerprint="f1")
    first = await create(uow, organizer(), idempotency=key)
    second = await create(uow, organizer(), idempotency=key)
    assert first != second
    assert len(uow.stored) == 2


async def test_an_update_of_a_stale_version_is_refused() -> None:
    uow = FakeUnitOfWork()
    actor = organizer()
    created = await create(uow, actor)
    event_id = uuid.UUID(str(created["id"]))
    update = commands.UpdateEvent(
        actor=actor, event_id=event_id, expected_version=1, changes=EventChanges(name="Otro nombre")
    )
    event = await handlers.update_event(update, uow, clock=clock)
    assert event.version == 2
    assert isinstance(uow.messages[-1][0], EventUpdated)
    with pytest.raises(StaleVersion):
        await handlers.update_event(update, uow, clock=clock)


async def test_a_batch_is_created_all_or_nothing_with_a_result_per_item() -> None:
    uow = FakeUnitOfWork()
    items = (
        commands.BatchItem(event=make_event_input()),
        commands.BatchItem(event=make_event_input(name="")),
        commands.BatchItem(event=make_event_input(), publish=True),
    )
    command = commands.BatchCreateEvents(actor=organizer(), items=items)
    outcome = json.loads(await handlers.batch_create_events(command, uow, encode=encode_batch, clock=clock))
    assert outcome == {
        "committed": False,
        "items": [[0, "not_created", 0], [1, "invalid", 1], [2, "not_created", 0]],
    }
    assert uow.stored == {}

    valid = commands.BatchCreateEvents(actor=organizer(), items=(items[0], items[2]))
    outcome = json.loads(await handlers.batch_create_events(valid, uow, encode=encode_batch, clock=clock))
    assert outcome == {"committed": True, "items": [[0, "created", 0], [1, "created", 0]]}
    assert len(uow.stored) == 2
    assert [type(m).__name__ for m, _ in uow.messages] == ["EventCreated", "EventCreated", "EventPublished"]


async def test_a_batch_holds_1_to_100_events() -> None:
    command = commands.BatchCreateEvents(actor=organizer(), items=())
    with pytest.raises(InvalidInput):
        await handlers.batch_create_events(command, FakeUnitOfWork(), encode=encode_batch, clock=clock)


async def test_the_organization_pages_through_its_events_by_start_date() -> None:
    uow = FakeUnitOfWork()
    actor = organizer()
    for hours in (48, 0, 24):
        await create(
            uow,
            actor,
            event=make_event_input(
                starts_at=at(hours),
                ends_at=at(hours + 2),
                venue=make_venue(),
                sessions=(make_session(starts_at=at(hours), ends_at=at(hours + 1)),),
            ),
        )
    await create(uow, organizer())
    first, after = await handlers.list_organization_events(
        commands.ListOrganizationEvents(actor=actor, page_size=2), uow
    )
    rest, end = await handlers.list_organization_events(
        commands.ListOrganizationEvents(actor=actor, page_size=2, after=after), uow
    )
    assert [e.starts_at for e in first + rest] == [at(0), at(24), at(48)]
    assert end is None


async def test_a_draft_session_is_read_only_by_its_organization() -> None:
    uow = FakeUnitOfWork()
    owner = organizer()
    event_id = uuid.UUID(str((await create(uow, owner, publish=True))["id"]))
    on_sale = uow.stored[event_id].live_sessions[0]
    added = commands.AddSession(
        actor=owner,
        event_id=event_id,
        session=make_session(starts_at=at(3), ends_at=at(5), place="Sala 2", status="draft"),
    )
    draft_id = uuid.UUID(
        (await handlers.add_session(added, uow, encode=lambda _, s: str(s.id).encode(), clock=clock)).decode()
    )

    event, session = await handlers.get_session(
        commands.GetSession(actor=owner, event_id=event_id, session_id=draft_id), uow
    )
    assert (session.id, event.version) == (draft_id, 2)
    _, seen = await handlers.get_session(
        commands.GetSession(actor=customer(), event_id=event_id, session_id=on_sale.id), uow
    )
    assert seen.id == on_sale.id
    for actor in (customer(), organizer(), None):
        with pytest.raises(SessionNotFound):
            await handlers.get_session(
                commands.GetSession(actor=actor, event_id=event_id, session_id=draft_id), uow
            )


async def test_several_events_are_read_at_once_in_the_order_asked_without_what_the_caller_may_not_see() -> (
    None
):
    uow = FakeUnitOfWork()
    owner = organizer()
    published = [uuid.UUID(str((await create(uow, owner, publish=True))["id"])) for _ in range(2)]
    draft = uuid.UUID(str((await create(uow, owner))["id"]))
    asked = (
        str(published[1]),
        "not-an-id",
        str(draft),
        str(uuid.uuid4()),
        str(published[0]),
        str(published[1]),
    )

    seen = await handlers.get_events(commands.GetEvents(actor=None, event_ids=asked), uow)
    mine = await handlers.get_events(commands.GetEvents(actor=owner, event_ids=asked), uow)

    assert [event.id for event in seen] == [published[1], published[0]]
    assert [event.id for event in mine] == [published[1], draft, published[0]]


async def test_at_most_100_events_are_read_at_once() -> None:
    too_many = tuple(str(uuid.uuid4()) for _ in range(101))
    with pytest.raises(InvalidInput):
        await handlers.get_events(commands.GetEvents(actor=None, event_ids=too_many), FakeUnitOfWork())
