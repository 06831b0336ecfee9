"""Who holds a slot at a venue (real PostgreSQL, real gRPC).

Across organizations only public sessions (published, out of draft, not cancelled) hold a venue's
place at a time; a draft conflicts only with its own organization's sessions. A conflict with
another organization's session says only that the slot is taken: nothing of theirs is named.
"""

import asyncio
import uuid

import grpc
import pytest
from catalog_requests import Catalog, event_input, field_errors, organizer, session, unique_name, venue
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from event_svc.adapters.orm import sessions
from taquilla.events.v1 import event_service_pb2 as pb
from taquilla_runtime.principal import Principal

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def rpc_error(call) -> grpc.aio.AioRpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value


async def publish(catalog: Catalog, owner: Principal, event: pb.Event) -> pb.Event:
    reply = await catalog.call("PublishEvent", pb.PublishEventRequest(event_id=event.id), owner)
    published: pb.Event = reply.event
    return published


def traces_of(event: pb.Event) -> list[str]:
    """What would identify another organization's event or session in an error."""
    traces = [event.id, event.name, event.organization_id, event.venue.name]
    for one in event.sessions:
        traces.append(one.id)
        for moment in (one.starts_at.ToDatetime(), one.ends_at.ToDatetime()):
            traces += [moment.isoformat(), moment.strftime("%Y-%m-%dT%H:%M"), moment.strftime("%H:%M")]
    return traces


def assert_names_nothing_of(error: grpc.aio.AioRpcError, other: pb.Event) -> None:
    said = " ".join([error.details() or "", *(e["message"] for e in field_errors(error))])
    assert "slot" in said, said
    assert "taken" in said, said
    leaked = [trace for trace in traces_of(other) if trace and trace in said]
    assert leaked == [], said


async def test_drafts_of_two_organizations_may_share_a_slot(catalog: Catalog) -> None:
    place = venue()
    first = await catalog.create(organizer(), event_input(venue=place, sessions=[session(1, 3)]))
    second = await catalog.create(organizer(), event_input(venue=place, sessions=[session(2, 4)]))
    assert first.status == second.status == pb.EVENT_STATUS_DRAFT


async def test_publishing_into_another_organizations_published_slot_is_refused_without_naming_it(
    catalog: Catalog,
) -> None:
    place = venue()
    owner, squatter = organizer(), organizer()
    theirs = await catalog.create(owner, event_input(venue=place, sessions=[session(1, 3, place="Sala 1")]))
    mine = await catalog.create(
        squatter,
        event_input(venue=place, sessions=[session(0, 1), session(2, 4, place="SALA 1")]),
    )
    theirs = await publish(catalog, owner, theirs)

    error = await rpc_error(catalog.call("PublishEvent", pb.PublishEventRequest(event_id=mine.id), squatter))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert_names_nothing_of(error, theirs)
    assert [e["field"] for e in field_errors(error)] == ["sessions.1"]
    still = await catalog.call("GetEvent", pb.GetEventRequest(event_id=mine.id), squatter)
    assert (still.event.status, still.event.version) == (pb.EVENT_STATUS_DRAFT, 1)


async def test_the_first_to_publish_takes_the_slot(catalog: Catalog) -> None:
    place = venue()
    owners = [organizer() for _ in range(4)]
    drafts = [
        await catalog.create(owner, event_input(venue=place, sessions=[session(1, 3)])) for owner in owners
    ]
    results = await asyncio.gather(
        *(publish(catalog, owner, draft) for owner, draft in zip(owners, drafts, strict=True)),
        return_exceptions=True,
    )
    published = [r for r in results if isinstance(r, pb.Event)]
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(published) == 1
    assert {e.code() for e in refused} == {grpc.StatusCode.ALREADY_EXISTS}
    for error in refused:
        assert_names_nothing_of(error, published[0])


async def test_creating_a_published_event_in_a_taken_slot_is_refused_without_naming_it(
    catalog: Catalog,
) -> None:
    place = venue()
    theirs = await catalog.create(
        organizer(), event_input(venue=place, sessions=[session(1, 3)]), publish=True
    )
    name = unique_name()
    error = await rpc_error(
        catalog.create(
            organizer(), event_input(name=name, venue=place, sessions=[session(2, 4)]), publish=True
        )
    )
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert_names_nothing_of(error, theirs)
    assert field_errors(error)[0]["field"] == "sessions.0"
    # As a draft it is accepted: it takes the slot only when it is published.
    await catalog.create(organizer(), event_input(name=name, venue=place, sessions=[session(2, 4)]))


async def test_moving_or_opening_a_session_into_another_organizations_slot_is_refused(
    catalog: Catalog,
) -> None:
    place = venue()
    theirs = await catalog.create(
        organizer(), event_input(venue=place, sessions=[session(1, 3)]), publish=True
    )
    owner = organizer()
    mine = await catalog.create(owner, event_input(venue=place, sessions=[session(4, 6)]), publish=True)

    moved = await rpc_error(
        catalog.call(
            "UpdateSession",
            pb.UpdateSessionRequest(
                event_id=mine.id,
                session_id=mine.sessions[0].id,
                expected_version=mine.version,
                patch=pb.SessionPatch(starts_at=session(2).starts_at),
            ),
            owner,
        )
    )
    assert moved.code() == grpc.StatusCode.ALREADY_EXISTS
    assert_names_nothing_of(moved, theirs)

    # A draft session of a published event holds no slot across organizations until it opens.
    added = await catalog.call(
        "AddSession",
        pb.AddSessionRequest(event_id=mine.id, session=session(0, 2, status=pb.SESSION_STATUS_DRAFT)),
        owner,
    )
    opened = await rpc_error(
        catalog.call(
            "UpdateSession",
            pb.UpdateSessionRequest(
                event_id=mine.id,
                session_id=added.session.id,
                expected_version=added.event_version,
                patch=pb.SessionPatch(status=pb.SESSION_STATUS_ON_SALE),
            ),
            owner,
        )
    )
    assert opened.code() == grpc.StatusCode.ALREADY_EXISTS
    assert_names_nothing_of(opened, theirs)
    assert field_errors(opened)[0]["field"] == "status"

    elsewhere = await catalog.create(owner, event_input(sessions=[session(2, 3)]), publish=True)
    moving_venue = await rpc_error(
        catalog.call(
            "UpdateEvent",
            pb.UpdateEventRequest(
                event_id=elsewhere.id, expected_version=elsewhere.version, patch=pb.EventPatch(venue=place)
            ),
            owner,
        )
    )
    assert moving_venue.code() == grpc.StatusCode.ALREADY_EXISTS
    assert_names_nothing_of(moving_venue, theirs)


async def test_drafts_of_one_organization_still_conflict_and_name_the_session(catalog: Catalog) -> None:
    place = venue()
    organization = uuid.uuid4()
    first = await catalog.create(organizer(organization), event_input(venue=place, sessions=[session(1, 3)]))
    error = await rpc_error(
        catalog.create(organizer(organization), event_input(venue=place, sessions=[session(2, 4)]))
    )
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert f"overlaps session {first.sessions[0].id}" in error.details()


async def test_a_draft_conflicts_with_its_own_organizations_published_session(catalog: Catalog) -> None:
    place = venue()
    organization = uuid.uuid4()
    first = await catalog.create(
        organizer(organization), event_input(venue=place, sessions=[session(1, 3)]), publish=True
    )
    error = await rpc_error(
        catalog.create(organizer(organization), event_input(venue=place, sessions=[session(2, 4)]))
    )
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert first.sessions[0].id in error.details()


async def test_a_cancelled_event_frees_the_slot_for_another_organization(catalog: Catalog) -> None:
    place = venue()
    owner, other = organizer(), organizer()
    theirs = await catalog.create(owner, event_input(venue=place, sessions=[session(0, 2)]), publish=True)
    mine = await catalog.create(other, event_input(venue=place, sessions=[session(0, 2)]))
    refused = await rpc_error(catalog.call("PublishEvent", pb.PublishEventRequest(event_id=mine.id), other))
    assert refused.code() == grpc.StatusCode.ALREADY_EXISTS

    await catalog.call("CancelEvent", pb.CancelEventRequest(event_id=theirs.id, reason="Lluvia"), owner)
    assert (await publish(catalog, other, mine)).status == pb.EVENT_STATUS_PUBLISHED


async def test_a_cancelled_session_frees_the_slot_for_another_organization(catalog: Catalog) -> None:
    place = venue()
    owner, other = organizer(), organizer()
    theirs = await catalog.create(
        owner, event_input(venue=place, sessions=[session(0, 2), session(3, 5)]), publish=True
    )
    mine = await catalog.create(other, event_input(venue=place, sessions=[session(0, 2)]))
    await catalog.call(
        "UpdateSession",
        pb.UpdateSessionRequest(
            event_id=theirs.id,
            session_id=theirs.sessions[0].id,
            expected_version=theirs.version,
            patch=pb.SessionPatch(status=pb.SESSION_STATUS_CANCELLED),
        ),
        owner,
    )
    assert (await publish(catalog, other, mine)).status == pb.EVENT_STATUS_PUBLISHED


async def test_each_session_carries_its_events_organization(
    catalog: Catalog, catalog_engine: AsyncEngine
) -> None:
    owner = organizer()
    event = await catalog.create(owner, event_input(sessions=[session(0, 1), session(2, 3)]))
    async with catalog_engine.connect() as connection:
        organizations = set(
            (
                await connection.execute(
                    select(sessions.c.organization_id).where(sessions.c.event_id == uuid.UUID(event.id))
                )
            ).scalars()
        )
    assert organizations == {owner.organization_id}
