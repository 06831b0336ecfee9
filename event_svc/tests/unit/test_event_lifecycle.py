"""Event lifecycle (draft → published → cancelled or completed), edits and optimistic locking."""

import datetime as dt

import pytest
from catalog_factories import (
    NOW,
    START,
    at,
    make_event,
    make_event_input,
    make_session,
    make_venue,
    make_zone,
    organizer,
)

from event_svc.domain.commands import EventChanges
from event_svc.domain.errors import InvalidInput, InvalidTransition, PlacesTaken, SalesUnknown, StaleVersion
from event_svc.domain.events import EventCancelled, EventCreated, EventPublished, EventUpdated
from event_svc.domain.model import Event, EventStatus, SessionStatus

LATER = NOW + dt.timedelta(minutes=5)


def test_publishing_a_draft_puts_its_draft_sessions_on_sale() -> None:
    event = make_event()
    event.publish(LATER)
    assert event.status is EventStatus.PUBLISHED
    assert event.published_at == LATER
    assert {s.status for s in event.sessions} == {SessionStatus.ON_SALE}
    assert event.version == 2
    assert [type(e) for e in event.events] == [EventPublished]


def test_creating_and_publishing_in_one_command_is_one_version_with_two_events() -> None:
    owner = organizer()
    assert owner.organization_id is not None
    event = Event.create(
        make_event_input(), organization_id=owner.organization_id, created_by=owner.subject, now=NOW
    )
    event.publish(NOW)
    assert event.version == 1
    assert [type(e) for e in event.events] == [EventCreated, EventPublished]
    created = event.events[0]
    assert isinstance(created, EventCreated)
    assert created.event.status is EventStatus.DRAFT


def test_only_a_draft_can_be_published() -> None:
    event = make_event(publish=True)
    with pytest.raises(InvalidTransition, match="Only a draft can be published"):
        event.publish(LATER)


def test_an_event_that_has_ended_cannot_be_published() -> None:
    event = make_event()
    with pytest.raises(InvalidTransition, match="already ended"):
        event.publish(at(7))


def test_cancelling_cancels_every_session_that_has_not_finished() -> None:
    event = make_event(publish=True, sessions=(make_session(), make_session(starts_at=at(3), ends_at=at(5))))
    event.cancel("  Lluvia\x00 intensa ", LATER)
    assert event.status is EventStatus.CANCELLED
    assert event.cancellation_reason == "Lluvia intensa"
    assert {s.status for s in event.sessions} == {SessionStatus.CANCELLED}
    assert event.capacity == 0
    assert isinstance(event.events[0], EventCancelled)


def test_a_draft_is_deleted_not_cancelled() -> None:
    with pytest.raises(InvalidTransition, match="delete a draft instead"):
        make_event().cancel("", LATER)


def test_a_published_event_is_cancelled_before_it_is_deleted() -> None:
    event = make_event(publish=True)
    with pytest.raises(InvalidTransition, match="Cancel a published event"):
        event.delete(LATER)
    event.cancel("", LATER)
    event.delete(LATER)
    assert event.deleted
    assert all(s.removed for s in event.sessions)


def test_completing_needs_the_event_to_be_over_and_finishes_its_sessions() -> None:
    event = make_event(publish=True)
    with pytest.raises(InvalidTransition, match="not ended"):
        event.complete(LATER)
    event.complete(at(7))
    assert event.status is EventStatus.COMPLETED
    assert {s.status for s in event.sessions} == {SessionStatus.FINISHED}


def test_a_stale_version_is_refused() -> None:
    event = make_event()
    event.ensure_version(1)
    event.ensure_version(None)
    with pytest.raises(StaleVersion) as raised:
        event.ensure_version(0)
    assert (raised.value.expected, raised.value.current) == (0, 1)


def test_an_update_changes_only_the_given_fields_and_names_them() -> None:
    event = make_event()
    changed = event.update(
        EventChanges(name="Nuevo nombre", image_url="https://cdn.example.com/x.png"), LATER
    )
    assert changed == ("image_url", "name")
    assert event.name == "Nuevo nombre"
    assert event.description == "Una noche de música."
    assert event.version == 2
    assert isinstance(event.events[0], EventUpdated)
    assert event.events[0].changed == ("image_url", "name")


def test_an_update_to_the_same_values_changes_nothing() -> None:
    event = make_event()
    assert event.update(EventChanges(name=event.name, category="concert"), LATER) == ()
    assert event.version == 1
    assert event.events == []


def test_an_empty_image_url_removes_the_image() -> None:
    event = make_event(image_url="https://cdn.example.com/x.png")
    event.update(EventChanges(image_url=""), LATER)
    assert event.image_url is None


def test_an_invalid_update_changes_nothing() -> None:
    event = make_event()
    with pytest.raises(InvalidInput):
        event.update(EventChanges(name="Válido", timezone="Nowhere"), LATER)
    assert event.name == "Concierto de prueba"
    assert event.version == 1


def test_moving_the_event_must_keep_its_sessions_inside() -> None:
    event = make_event(sessions=(make_session(starts_at=at(1), ends_at=at(2)),))
    with pytest.raises(InvalidInput) as raised:
        event.update(EventChanges(starts_at=at(1.5)), LATER)
    assert [p.field for p in raised.value.problems] == ["starts_at"]
    event.update(EventChanges(starts_at=at(1), ends_at=at(3)), LATER)
    assert (event.starts_at, event.ends_at) == (at(1), at(3))


def test_replaced_zones_keep_their_ids_by_name() -> None:
    event = make_event()
    general = event.zones[0].id
    event.update(
        EventChanges(zones=(make_zone(name="general", price_amount="300"), make_zone(name="Palco"))), LATER
    )
    assert [z.name for z in event.zones] == ["general", "Palco"]
    assert event.zones[0].id == general
    assert str(event.zones[0].price.amount) == "300.00"


def test_a_cancelled_event_can_no_longer_be_edited() -> None:
    event = make_event(publish=True)
    event.cancel("", LATER)
    with pytest.raises(InvalidTransition, match="cancelled event can no longer be changed"):
        event.update(EventChanges(name="Otro"), LATER)


def test_a_new_venue_replaces_the_old_one() -> None:
    event = make_event()
    event.update(EventChanges(venue=make_venue(name="Arena", latitude=19.4, longitude=-99.1)), LATER)
    assert (event.venue.name, event.venue.latitude) == ("Arena", 19.4)
    assert event.ends_at > START


def test_zones_of_a_published_event_change_without_stranding_buyers() -> None:
    event = make_event(publish=True, zones=(make_zone(capacity=100), make_zone(name="VIP", capacity=20)))
    general, vip = event.zones
    session = event.sessions[0]
    taken = {(session.id, general.id): 40, (session.id, vip.id): 0}
    with pytest.raises(PlacesTaken, match="cannot go below 40 places"):
        event.update(
            EventChanges(zones=(make_zone(capacity=39), make_zone(name="VIP", capacity=20))), LATER, taken
        )
    with pytest.raises(PlacesTaken, match="General cannot be removed"):
        event.update(EventChanges(zones=(make_zone(name="VIP", capacity=20),)), LATER, taken)
    with pytest.raises(SalesUnknown):
        event.update(EventChanges(zones=(make_zone(capacity=400),)), LATER)
    # Growing a zone, shrinking it down to what is taken, or dropping a zone with nothing taken: fine.
    event.update(EventChanges(zones=(make_zone(capacity=40),)), LATER, taken)
    assert [(z.id, z.capacity) for z in event.zones] == [(general.id, 40)]
