"""EventService over real gRPC and PostgreSQL: transactions, access, conflicts, locking, idempotency."""

import asyncio
import uuid

import grpc
import pytest
from catalog_requests import (
    Catalog,
    admin,
    at,
    event_input,
    field_errors,
    organizer,
    session,
    stamp,
    unique_name,
    venue,
)
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from event_svc.adapters.orm import events, outbox, session_zones, sessions, zones
from event_svc.adapters.unit_of_work import SqlUnitOfWork
from event_svc.application import handlers
from event_svc.entrypoints import sales_messages
from taquilla.events.v1 import event_service_pb2 as pb
from taquilla_runtime.grpc_errors import problem_from_trailers
from taquilla_runtime.messaging.consumer import PoisonMessage
from taquilla_runtime.messaging.envelope import Envelope
from ticketing_svc.bootstrap import UseCases
from ticketing_svc.domain import commands as ticketing_commands
from ticketing_svc.domain.commands import Actor as TicketingActor
from ticketing_svc.domain.model import ItemRequest
from ticketing_svc.entrypoints import catalog_messages as ticketing_messages

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def count(engine: AsyncEngine, table, **where: object) -> int:  # type: ignore[no-untyped-def]
    statement = select(func.count()).select_from(table)
    for column, value in where.items():
        statement = statement.where(table.c[column] == value)
    async with engine.connect() as connection:
        return int(await connection.scalar(statement) or 0)


async def rpc_error(call) -> grpc.aio.AioRpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value


async def test_creates_an_event_with_zones_sessions_inventory_and_a_message_in_one_transaction(
    catalog: Catalog, catalog_engine: AsyncEngine
) -> None:
    owner = organizer()
    correlation_id = str(uuid.uuid4())
    request = pb.CreateEventRequest(
        event=event_input(sessions=[session(0, 2, place="Sala A"), session(0, 2, place="Sala B")])
    )
    reply = await catalog.call("CreateEvent", request, owner, correlation_id)
    event = reply.event
    assert event.status == pb.EVENT_STATUS_DRAFT
    assert event.version == 1
    assert event.organization_id == str(owner.organization_id)
    assert event.created_by == str(owner.subject)
    assert [(z.name, z.price.amount, z.price.currency) for z in event.zones] == [
        ("General", "250.00", "MXN"),
        ("VIP", "900.50", "MXN"),
    ]
    assert event.capacity == 2 * 120
    event_id = uuid.UUID(event.id)
    assert await count(catalog_engine, zones, event_id=event_id) == 2
    assert await count(catalog_engine, sessions, event_id=event_id) == 2
    async with catalog_engine.connect() as connection:
        lines = await connection.scalar(
            select(func.count())
            .select_from(session_zones.join(sessions, session_zones.c.session_id == sessions.c.id))
            .where(sessions.c.event_id == event_id, session_zones.c.sold_out.is_(False))
        )
        envelopes = (
            await connection.execute(select(outbox.c.envelope).where(outbox.c.key == event.id))
        ).scalars()
        messages = list(envelopes)
    assert lines == 4
    assert [(m["type"], m["correlationId"]) for m in messages] == [("EventCreated", correlation_id)]


async def test_an_invalid_request_answers_every_field_error_and_stores_nothing(
    catalog: Catalog, catalog_engine: AsyncEngine
) -> None:
    name = unique_name()
    bad = event_input(
        name=name,
        zones=[pb.ZoneInput(name="General", price=pb.Money(amount="1e3", currency="MXN"), capacity=0)],
        image_url="javascript:alert(1)",
        sessions=[session(-1, 1)],
    )
    error = await rpc_error(catalog.create(organizer(), bad))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {e["field"] for e in field_errors(error)} == {
        "zones.0.price.amount",
        "zones.0.capacity",
        "image_url",
        "sessions.0.starts_at",
    }
    assert await count(catalog_engine, events, name=name) == 0


async def test_a_conflict_in_the_middle_of_a_create_leaves_no_rows(
    catalog: Catalog, catalog_engine: AsyncEngine
) -> None:
    place = venue()
    organization = uuid.uuid4()
    first = await catalog.create(organizer(organization), event_input(venue=place, sessions=[session(3, 5)]))
    name = unique_name()
    # Zones and the first session are written before the second one clashes with the other event.
    error = await rpc_error(
        catalog.create(
            organizer(organization),
            event_input(name=name, venue=place, sessions=[session(0, 1), session(4, 6)]),
        )
    )
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert first.sessions[0].id in error.details()
    assert field_errors(error)[0]["field"] == "sessions.1"
    assert await count(catalog_engine, events, name=name) == 0
    async with catalog_engine.connect() as connection:
        orphans = await connection.scalar(
            text("SELECT count(*) FROM zones z LEFT JOIN events e ON e.id = z.event_id WHERE e.id IS NULL")
        )
        messages = await connection.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.envelope["name"].astext == name)
        )
    assert orphans == 0
    assert messages == 0


async def test_an_organizations_sessions_at_the_same_venue_and_place_never_overlap_across_events(
    catalog: Catalog,
) -> None:
    # (Between organizations, only public sessions hold a slot: test_catalog_venue_slots.py.)
    place = venue()
    organization = uuid.uuid4()
    first = await catalog.create(
        organizer(organization), event_input(venue=place, sessions=[session(0, 2, place="Sala 1")])
    )
    # Same venue written differently, same place: a conflict naming the other session.
    twin = pb.Venue(name=place.name.upper(), city=" guadalajara ", address="Otra dirección")
    error = await rpc_error(
        catalog.create(
            organizer(organization), event_input(venue=twin, sessions=[session(1, 3, place="sala 1")])
        )
    )
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert f"overlaps session {first.sessions[0].id}" in error.details()
    # Another place in the venue, or right after, is fine.
    for other in (session(1, 3, place="Sala 2"), session(2, 4, place="Sala 1")):
        await catalog.create(organizer(organization), event_input(venue=place, sessions=[other]))


async def test_concurrent_overlapping_creates_let_exactly_one_win(catalog: Catalog) -> None:
    place = venue()
    organization = uuid.uuid4()
    results = await asyncio.gather(
        *(
            catalog.create(organizer(organization), event_input(venue=place, sessions=[session(0, 2)]))
            for _ in range(4)
        ),
        return_exceptions=True,
    )
    created = [r for r in results if isinstance(r, pb.Event)]
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(created) == 1
    assert {e.code() for e in refused} == {grpc.StatusCode.ALREADY_EXISTS}
    assert all(created[0].sessions[0].id in e.details() for e in refused)


async def test_a_cancelled_event_frees_its_sessions_slots(catalog: Catalog) -> None:
    owner = organizer()
    place = venue()
    event = await catalog.create(owner, event_input(venue=place, sessions=[session(0, 2)]), publish=True)
    await catalog.call("CancelEvent", pb.CancelEventRequest(event_id=event.id, reason="Lluvia"), owner)
    await catalog.create(organizer(owner.organization_id), event_input(venue=place, sessions=[session(0, 2)]))
    await catalog.create(organizer(), event_input(venue=place, sessions=[session(0, 2)]), publish=True)


async def test_an_organizer_of_another_organization_gets_not_found(catalog: Catalog) -> None:
    owner, stranger = organizer(), organizer()
    draft = await catalog.create(owner)
    published = await catalog.create(owner, publish=True)
    calls = [
        ("GetEvent", pb.GetEventRequest(event_id=draft.id)),
        ("ListSessions", pb.ListSessionsRequest(event_id=draft.id)),
        ("PublishEvent", pb.PublishEventRequest(event_id=draft.id)),
        (
            "UpdateEvent",
            pb.UpdateEventRequest(event_id=published.id, expected_version=1, patch=pb.EventPatch(name="Mío")),
        ),
        ("CancelEvent", pb.CancelEventRequest(event_id=published.id)),
        ("DeleteEvent", pb.DeleteEventRequest(event_id=draft.id)),
        ("AddSession", pb.AddSessionRequest(event_id=published.id, session=session(3, 4))),
        (
            "UpdateSession",
            pb.UpdateSessionRequest(
                event_id=published.id,
                session_id=published.sessions[0].id,
                expected_version=1,
                patch=pb.SessionPatch(title="x"),
            ),
        ),
    ]
    for method, request in calls:
        error = await rpc_error(catalog.call(method, request, stranger))
        assert error.code() == grpc.StatusCode.NOT_FOUND, method
    # Nothing changed: the owner still sees the published event at version 1.
    reply = await catalog.call("GetEvent", pb.GetEventRequest(event_id=published.id), owner)
    assert reply.event.version == 1


async def test_anonymous_callers_read_published_events_only(catalog: Catalog) -> None:
    owner = organizer()
    draft = await catalog.create(owner)
    published = await catalog.create(owner, publish=True)
    reply = await catalog.call("GetEvent", pb.GetEventRequest(event_id=published.id))
    assert reply.event.id == published.id
    for event_id in (draft.id, str(uuid.uuid4()), "not-a-uuid"):
        error = await rpc_error(catalog.call("GetEvent", pb.GetEventRequest(event_id=event_id)))
        assert error.code() == grpc.StatusCode.NOT_FOUND
    error = await rpc_error(catalog.call("PublishEvent", pb.PublishEventRequest(event_id=published.id)))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_several_events_are_read_in_one_call_with_zones_and_sessions(catalog: Catalog) -> None:
    owner = organizer()
    draft = await catalog.create(owner)
    published = [await catalog.create(owner, publish=True) for _ in range(2)]
    asked = [published[1].id, draft.id, "not-a-uuid", str(uuid.uuid4()), published[0].id]

    anonymous = await catalog.call("GetEvents", pb.GetEventsRequest(event_ids=asked))
    mine = await catalog.call("GetEvents", pb.GetEventsRequest(event_ids=asked), owner)

    assert [e.id for e in anonymous.events] == [published[1].id, published[0].id]
    assert [e.id for e in mine.events] == [published[1].id, draft.id, published[0].id]
    assert all(e.zones and e.sessions for e in anonymous.events)
    error = await rpc_error(
        catalog.call("GetEvents", pb.GetEventsRequest(event_ids=[str(uuid.uuid4()) for _ in range(101)]))
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_organizers_may_not_choose_the_organization_but_administrators_must(catalog: Catalog) -> None:
    error = await rpc_error(catalog.create(organizer(), event_input(organization_id=str(uuid.uuid4()))))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_errors(error)[0]["field"] == "organization_id"
    chosen = str(uuid.uuid4())
    event = await catalog.create(admin(), event_input(organization_id=chosen))
    assert event.organization_id == chosen


async def test_a_malformed_principal_is_unauthenticated(catalog: Catalog) -> None:
    error = await rpc_error(
        catalog.stub.GetEvent(
            pb.GetEventRequest(event_id=str(uuid.uuid4())),
            metadata=[("x-taquilla-principal", "{nope")],
            timeout=10,
        )
    )
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_updates_must_name_the_current_version(catalog: Catalog) -> None:
    owner = organizer()
    event = await catalog.create(owner)
    patch = pb.EventPatch(name="Nombre nuevo", description="<b>Texto</b>\x00 plano")
    reply = await catalog.call(
        "UpdateEvent", pb.UpdateEventRequest(event_id=event.id, expected_version=1, patch=patch), owner
    )
    assert (reply.event.version, reply.event.name, reply.event.description) == (
        2,
        "Nombre nuevo",
        "Texto plano",
    )
    stale = await rpc_error(
        catalog.call(
            "UpdateEvent", pb.UpdateEventRequest(event_id=event.id, expected_version=1, patch=patch), owner
        )
    )
    assert stale.code() == grpc.StatusCode.ABORTED
    assert "version 2" in stale.details()
    stale = await rpc_error(
        catalog.call("PublishEvent", pb.PublishEventRequest(event_id=event.id, expected_version=1), owner)
    )
    assert stale.code() == grpc.StatusCode.ABORTED
    published = await catalog.call(
        "PublishEvent", pb.PublishEventRequest(event_id=event.id, expected_version=2), owner
    )
    assert published.event.status == pb.EVENT_STATUS_PUBLISHED


async def test_concurrent_updates_of_one_version_let_exactly_one_win(catalog: Catalog) -> None:
    owner = organizer()
    event = await catalog.create(owner)
    results = await asyncio.gather(
        *(
            catalog.call(
                "UpdateEvent",
                pb.UpdateEventRequest(
                    event_id=event.id, expected_version=1, patch=pb.EventPatch(name=f"Nombre {n}")
                ),
                owner,
            )
            for n in range(4)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, pb.UpdateEventResponse) for r in results) == 1
    assert {r.code() for r in results if isinstance(r, grpc.aio.AioRpcError)} == {grpc.StatusCode.ABORTED}


async def test_an_idempotency_key_replays_the_first_response_and_refuses_another_request(
    catalog: Catalog, catalog_engine: AsyncEngine
) -> None:
    owner = organizer()
    request = pb.CreateEventRequest(event=event_input(), idempotency_key=f"key-{uuid.uuid4()}")
    first = await catalog.call("CreateEvent", request, owner)
    again = await catalog.call("CreateEvent", request, owner)
    assert again == first
    assert await count(catalog_engine, events, name=request.event.name) == 1
    assert await count(catalog_engine, outbox, key=first.event.id) == 1

    other = pb.CreateEventRequest(event=event_input(), idempotency_key=request.idempotency_key)
    error = await rpc_error(catalog.call("CreateEvent", other, owner))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_errors(error)[0]["field"] == "idempotency_key"
    # The key is the caller's own: someone else may use the same one.
    theirs = await catalog.call("CreateEvent", other, organizer())
    assert theirs.event.id != first.event.id


async def test_concurrent_requests_with_one_idempotency_key_create_one_event(catalog: Catalog) -> None:
    owner = organizer()
    request = pb.CreateEventRequest(event=event_input(), idempotency_key=f"key-{uuid.uuid4()}")
    replies = await asyncio.gather(*(catalog.call("CreateEvent", request, owner) for _ in range(3)))
    assert len({reply.event.id for reply in replies}) == 1


async def test_a_batch_is_all_or_nothing_with_a_result_per_item(
    catalog: Catalog, catalog_engine: AsyncEngine
) -> None:
    owner = organizer()
    names = [unique_name() for _ in range(3)]
    items = [
        pb.BatchEventInput(event=event_input(name=names[0])),
        pb.BatchEventInput(event=event_input(name=names[1], timezone="Nowhere/Land")),
        pb.BatchEventInput(event=event_input(name=names[2]), publish=True),
    ]
    reply = await catalog.call("BatchCreateEvents", pb.BatchCreateEventsRequest(events=items), owner)
    assert not reply.committed
    assert [r.status for r in reply.results] == [
        pb.BATCH_ITEM_STATUS_NOT_CREATED,
        pb.BATCH_ITEM_STATUS_INVALID,
        pb.BATCH_ITEM_STATUS_NOT_CREATED,
    ]
    assert [(e.field, e.message) for e in reply.results[1].errors] == [
        ("timezone", 'must be an IANA time zone, e.g. "America/Mexico_City"')
    ]
    for name in names:
        assert await count(catalog_engine, events, name=name) == 0

    del items[1]
    reply = await catalog.call("BatchCreateEvents", pb.BatchCreateEventsRequest(events=items), owner)
    assert reply.committed
    assert [r.status for r in reply.results] == [pb.BATCH_ITEM_STATUS_CREATED] * 2
    assert reply.results[1].event.status == pb.EVENT_STATUS_PUBLISHED


async def test_a_batch_whose_items_clash_with_each_other_creates_nothing(
    catalog: Catalog, catalog_engine: AsyncEngine
) -> None:
    place = venue()
    names = [unique_name(), unique_name()]
    items = [
        pb.BatchEventInput(event=event_input(name=name, venue=place, sessions=[session(0, 2)]))
        for name in names
    ]
    reply = await catalog.call("BatchCreateEvents", pb.BatchCreateEventsRequest(events=items), organizer())
    assert not reply.committed
    assert [r.status for r in reply.results] == [
        pb.BATCH_ITEM_STATUS_NOT_CREATED,
        pb.BATCH_ITEM_STATUS_CONFLICT,
    ]
    assert reply.results[1].errors[0].field == "sessions.0"
    assert await count(catalog_engine, events, name=names[0]) == 0


async def test_a_batch_over_100_events_is_refused(catalog: Catalog) -> None:
    items = [pb.BatchEventInput(event=event_input()) for _ in range(101)]
    error = await rpc_error(
        catalog.call("BatchCreateEvents", pb.BatchCreateEventsRequest(events=items), organizer())
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_sessions_are_added_changed_and_removed_with_their_inventory(
    catalog: Catalog, catalog_engine: AsyncEngine
) -> None:
    owner = organizer()
    event = await catalog.create(owner, event_input(sessions=[session(0, 2)]), publish=True)
    add = pb.AddSessionRequest(
        event_id=event.id,
        session=session(3, 5, title="Matiné", resources=["proyector"]),
        idempotency_key="s-1",
    )
    added = await catalog.call("AddSession", add, owner)
    assert await catalog.call("AddSession", add, owner) == added
    assert added.session.status == pb.SESSION_STATUS_ON_SALE
    assert added.event_version == 2
    assert await count(catalog_engine, session_zones, session_id=uuid.UUID(added.session.id)) == 2

    clash = await rpc_error(
        catalog.call(
            "UpdateSession",
            pb.UpdateSessionRequest(
                event_id=event.id,
                session_id=added.session.id,
                expected_version=2,
                patch=pb.SessionPatch(starts_at=stamp(at(1))),
            ),
            owner,
        )
    )
    assert clash.code() == grpc.StatusCode.ALREADY_EXISTS
    assert event.sessions[0].id in clash.details()

    changed = await catalog.call(
        "UpdateSession",
        pb.UpdateSessionRequest(
            event_id=event.id,
            session_id=added.session.id,
            expected_version=2,
            patch=pb.SessionPatch(status=pb.SESSION_STATUS_SUSPENDED, capacity_override=50),
        ),
        owner,
    )
    assert (changed.session.status, changed.session.capacity, changed.event_version) == (
        pb.SESSION_STATUS_SUSPENDED,
        50,
        3,
    )
    removed = await catalog.call(
        "RemoveSession",
        pb.RemoveSessionRequest(event_id=event.id, session_id=added.session.id, expected_version=3),
        owner,
    )
    assert removed.event_version == 4
    listed = await catalog.call("ListSessions", pb.ListSessionsRequest(event_id=event.id))
    assert [s.id for s in listed.sessions] == [event.sessions[0].id]
    assert listed.event_version == 4
    last = await rpc_error(
        catalog.call(
            "RemoveSession",
            pb.RemoveSessionRequest(event_id=event.id, session_id=event.sessions[0].id),
            owner,
        )
    )
    assert last.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_gets_one_session_with_the_event_version_when_the_caller_may_see_it(catalog: Catalog) -> None:
    owner = organizer()
    event = await catalog.create(owner, event_input(sessions=[session(0, 2)]), publish=True)
    on_sale = event.sessions[0]
    draft = await catalog.call(
        "AddSession",
        pb.AddSessionRequest(
            event_id=event.id, session=session(3, 5, title="Ensayo", status=pb.SESSION_STATUS_DRAFT)
        ),
        owner,
    )
    assert draft.session.status == pb.SESSION_STATUS_DRAFT

    anyone = await catalog.call("GetSession", pb.GetSessionRequest(event_id=event.id, session_id=on_sale.id))
    assert anyone.session == on_sale
    assert anyone.event_version == draft.event_version == 2
    mine = await catalog.call(
        "GetSession", pb.GetSessionRequest(event_id=event.id, session_id=draft.session.id), owner
    )
    assert (mine.session, mine.event_version) == (draft.session, 2)

    # A draft session stays with the organization; unknown ids, malformed ones and removed sessions
    # are not found either.
    gone = await catalog.call(
        "AddSession",
        pb.AddSessionRequest(event_id=event.id, session=session(5.5, 6, status=pb.SESSION_STATUS_DRAFT)),
        owner,
    )
    await catalog.call(
        "RemoveSession", pb.RemoveSessionRequest(event_id=event.id, session_id=gone.session.id), owner
    )
    unseen = [
        (None, event.id, draft.session.id),
        (organizer(), event.id, draft.session.id),
        (owner, event.id, gone.session.id),
        (owner, event.id, str(uuid.uuid4())),
        (owner, event.id, "not-a-uuid"),
        (owner, str(uuid.uuid4()), draft.session.id),
    ]
    for caller, event_id, session_id in unseen:
        error = await rpc_error(
            catalog.call("GetSession", pb.GetSessionRequest(event_id=event_id, session_id=session_id), caller)
        )
        assert error.code() == grpc.StatusCode.NOT_FOUND, (event_id, session_id)


async def test_moving_an_event_to_a_busy_venue_is_a_conflict(catalog: Catalog) -> None:
    busy = venue()
    owner = organizer()
    await catalog.create(organizer(owner.organization_id), event_input(venue=busy, sessions=[session(0, 2)]))
    event = await catalog.create(owner, event_input(sessions=[session(1, 3)]))
    error = await rpc_error(
        catalog.call(
            "UpdateEvent",
            pb.UpdateEventRequest(event_id=event.id, expected_version=1, patch=pb.EventPatch(venue=busy)),
            owner,
        )
    )
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert field_errors(error)[0]["field"] == "venue"


async def test_deleted_events_are_gone_and_free_their_slots(catalog: Catalog) -> None:
    owner = organizer()
    place = venue()
    event = await catalog.create(owner, event_input(venue=place, sessions=[session(0, 2)]))
    await catalog.call("DeleteEvent", pb.DeleteEventRequest(event_id=event.id, expected_version=1), owner)
    error = await rpc_error(catalog.call("GetEvent", pb.GetEventRequest(event_id=event.id), owner))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    await catalog.create(owner, event_input(venue=place, sessions=[session(0, 2)]))


async def test_the_organization_lists_its_events_a_page_at_a_time(catalog: Catalog) -> None:
    owner = organizer()
    created = [
        await catalog.create(owner, event_input(starts_at=stamp(at(h)), ends_at=stamp(at(h + 1))))
        for h in (48, 0, 24)
    ]
    cancelled = await catalog.create(owner, publish=True)
    await catalog.call("CancelEvent", pb.CancelEventRequest(event_id=cancelled.id), owner)
    await catalog.create(organizer())
    first = await catalog.call("ListOrganizationEvents", pb.ListOrganizationEventsRequest(page_size=2), owner)
    rest = await catalog.call(
        "ListOrganizationEvents",
        pb.ListOrganizationEventsRequest(page_size=2, page_token=first.next_page_token),
        owner,
    )
    expected = [e.id for e in sorted(created, key=lambda e: e.starts_at.ToDatetime())]
    assert [e.id for e in [*first.events, *rest.events]] == expected
    assert rest.next_page_token == ""
    only_cancelled = await catalog.call(
        "ListOrganizationEvents",
        pb.ListOrganizationEventsRequest(statuses=[pb.EVENT_STATUS_CANCELLED]),
        owner,
    )
    assert [e.id for e in only_cancelled.events] == [cancelled.id]
    error = await rpc_error(catalog.call("ListOrganizationEvents", pb.ListOrganizationEventsRequest(), None))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_sold_out_zones_follow_ticketings_messages_for_the_available_filter(
    catalog: Catalog, catalog_engine: AsyncEngine
) -> None:
    owner = organizer()
    event = await catalog.create(owner, event_input(sessions=[session(0, 2), session(3, 5)]), publish=True)
    first, second = (uuid.UUID(s.id) for s in event.sessions)
    general = uuid.UUID(event.zones[0].id)

    async def sold_out_pairs() -> set[tuple[uuid.UUID, uuid.UUID]]:
        async with catalog_engine.connect() as connection:
            rows = await connection.execute(
                select(session_zones.c.session_id, session_zones.c.zone_id).where(
                    session_zones.c.session_id.in_([first, second]), session_zones.c.sold_out
                )
            )
            return {(row.session_id, row.zone_id) for row in rows}

    for message in (
        Envelope.new(
            event_id=uuid.UUID(event.id),
            name=event.name,
            type="ZoneSoldOut",
            payload={"sessionId": str(first), "zoneId": str(general), "available": 0},
        ),
        Envelope.new(event_id=uuid.UUID(event.id), name=event.name, type="ReservationHeld", payload={}),
    ):
        command = sales_messages.command_for(message)
        if command is not None:
            assert await handlers.follow_sales(command, SqlUnitOfWork(catalog_engine))
    assert await sold_out_pairs() == {(first, general)}
    again = sales_messages.command_for(
        Envelope.new(
            event_id=uuid.UUID(event.id),
            name=event.name,
            type="ZoneSoldOut",
            payload={"sessionId": str(first), "zoneId": str(general), "available": 0},
        )
    )
    assert again is not None
    assert not await handlers.follow_sales(again, SqlUnitOfWork(catalog_engine))  # a redelivery
    back = sales_messages.command_for(
        Envelope.new(
            event_id=uuid.UUID(event.id),
            name=event.name,
            type="ZoneBackOnSale",
            payload={"sessionId": str(first), "zoneId": str(general), "available": 1},
        )
    )
    assert back is not None
    assert await handlers.follow_sales(back, SqlUnitOfWork(catalog_engine))
    assert await sold_out_pairs() == set()
    with pytest.raises(PoisonMessage):
        sales_messages.command_for(
            Envelope.new(event_id=uuid.UUID(event.id), name=event.name, type="ZoneSoldOut", payload={})
        )
    read = await catalog.call("GetEvent", pb.GetEventRequest(event_id=event.id))
    assert [z.capacity for z in read.event.zones] == [100, 20]


async def test_administrators_feature_published_events_for_the_front_page(
    catalog: Catalog, catalog_engine: AsyncEngine
) -> None:
    owner = organizer()
    word = uuid.uuid4().hex[:12]
    published = await catalog.create(owner, event_input(name=f"Gala {word}"), publish=True)
    draft = await catalog.create(owner, event_input(name=f"Ensayo {word}"))
    feature = pb.FeatureEventRequest(event_id=published.id, featured=True)

    refused = await rpc_error(catalog.call("FeatureEvent", feature, owner))
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED, "the organizer does not choose"
    assert (await rpc_error(catalog.call("FeatureEvent", feature))).code() == grpc.StatusCode.UNAUTHENTICATED
    not_yet = await rpc_error(
        catalog.call("FeatureEvent", pb.FeatureEventRequest(event_id=draft.id, featured=True), admin())
    )
    assert not_yet.code() == grpc.StatusCode.FAILED_PRECONDITION

    featured = (await catalog.call("FeatureEvent", feature, admin())).event
    assert (featured.featured, featured.version) == (True, published.version + 1)
    again = (await catalog.call("FeatureEvent", feature, admin())).event
    assert again.version == featured.version, "featuring twice changes nothing"
    search = pb.SearchEventsRequest(query=word, featured_only=True)
    found = await catalog.call("SearchEvents", search)
    assert [(e.name, e.featured) for e in found.events] == [(f"Gala {word}", True)]
    async with catalog_engine.connect() as connection:
        messages = (
            await connection.execute(
                select(outbox.c.envelope["type"].astext)
                .where(outbox.c.key == published.id)
                .order_by(outbox.c.id)
            )
        ).scalars()
        assert list(messages)[-1] == "EventUpdated"

    await catalog.call("FeatureEvent", pb.FeatureEventRequest(event_id=published.id, featured=False), admin())
    assert not (await catalog.call("SearchEvents", search)).events


async def test_other_services_find_a_published_event_by_one_of_its_sessions(catalog: Catalog) -> None:
    owner = organizer()
    published = await catalog.create(owner, publish=True)
    found = await catalog.call(
        "FindEventBySession", pb.FindEventBySessionRequest(session_id=published.sessions[0].id)
    )
    assert found.event.id == published.id
    assert [zone.id for zone in found.event.zones] == [zone.id for zone in published.zones]
    draft = await catalog.create(owner)
    for session_id in (draft.sessions[0].id, str(uuid.uuid4()), "not-a-uuid"):
        error = await rpc_error(
            catalog.call("FindEventBySession", pb.FindEventBySessionRequest(session_id=session_id))
        )
        assert error.code() == grpc.StatusCode.NOT_FOUND, session_id


async def test_zones_and_sessions_with_places_taken_are_not_stranded(
    catalog: Catalog, catalog_engine: AsyncEngine, ticketing: tuple[str, UseCases]
) -> None:
    owner = organizer()
    event = await catalog.create(owner, event_input(sessions=[session(0, 2), session(3, 5)]), publish=True)
    # ticketing_svc follows the catalog's own messages, then a buyer holds 30 General places.
    _, use_cases = ticketing
    async with catalog_engine.connect() as connection:
        envelopes = (
            await connection.execute(
                select(outbox.c.envelope).where(outbox.c.key == event.id).order_by(outbox.c.id)
            )
        ).scalars()
        for raw in list(envelopes):
            command = ticketing_messages.command_for(Envelope.from_dict(raw))
            if command is not None:
                await use_cases.follow_catalog(command)
    first = event.sessions[0]
    general = event.zones[0]
    await use_cases.reserve(
        ticketing_commands.Reserve(
            actor=TicketingActor(uuid.uuid4()),
            session_id=uuid.UUID(first.id),
            items=(ItemRequest(uuid.UUID(general.id), 10),),
        )
    )

    def zones(general_capacity: int) -> pb.ZoneList:
        return pb.ZoneList(
            zones=[
                pb.ZoneInput(name="General", price=general.price, capacity=general_capacity),
                pb.ZoneInput(name="VIP", price=event.zones[1].price, capacity=20),
            ]
        )

    shrink = await rpc_error(
        catalog.call(
            "UpdateEvent",
            pb.UpdateEventRequest(
                event_id=event.id, expected_version=event.version, patch=pb.EventPatch(zones=zones(9))
            ),
            owner,
        )
    )
    assert shrink.code() == grpc.StatusCode.FAILED_PRECONDITION
    named = problem_from_trailers(shrink.trailing_metadata())
    assert named is not None
    assert (named.type, named.extensions) == ("places-taken", {"taken": 10, "zone": "General"})
    grown = await catalog.call(
        "UpdateEvent",
        pb.UpdateEventRequest(
            event_id=event.id, expected_version=event.version, patch=pb.EventPatch(zones=zones(150))
        ),
        owner,
    )
    assert [z.capacity for z in grown.event.zones] == [150, 20]
    assert [z.id for z in grown.event.zones] == [z.id for z in event.zones]

    suspended = await catalog.call(
        "UpdateSession",
        pb.UpdateSessionRequest(
            event_id=event.id,
            session_id=first.id,
            expected_version=grown.event.version,
            patch=pb.SessionPatch(status=pb.SESSION_STATUS_SUSPENDED),
        ),
        owner,
    )
    removal = await rpc_error(
        catalog.call(
            "RemoveSession",
            pb.RemoveSessionRequest(
                event_id=event.id, session_id=first.id, expected_version=suspended.event_version
            ),
            owner,
        )
    )
    assert removal.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "10 places held or sold" in (removal.details() or "")
    named = problem_from_trailers(removal.trailing_metadata())
    assert named is not None
    assert (named.type, named.extensions) == ("places-taken", {"taken": 10, "session_id": first.id})
