"""Sessions: adding, changing, removing, their statuses bounded by the event's, and the overlap rule."""

import datetime as dt
import uuid

import pytest
from catalog_factories import NOW, at, make_event, make_session

from event_svc.domain.commands import SessionChanges
from event_svc.domain.errors import (
    InvalidInput,
    InvalidTransition,
    PlacesTaken,
    SalesUnknown,
    SessionNotFound,
    SessionOverlap,
    VenueSlotTaken,
)
from event_svc.domain.events import SessionChange, SessionChanged
from event_svc.domain.model import SessionStatus

LATER = NOW + dt.timedelta(minutes=5)


def test_a_session_added_to_a_published_event_goes_on_sale() -> None:
    event = make_event(publish=True, sessions=(make_session(),))
    session = event.add_session(make_session(starts_at=at(3), ends_at=at(5)), LATER)
    assert session.status is SessionStatus.ON_SALE
    assert event.version == 2
    assert isinstance(event.events[0], SessionChanged)
    assert event.events[0].change is SessionChange.ADDED
    assert {line.session_id for line in event.session_zones()} == {s.id for s in event.sessions}


def test_no_session_is_on_sale_while_the_event_is_a_draft() -> None:
    event = make_event(sessions=(make_session(),))
    with pytest.raises(InvalidTransition, match="No session can be on_sale while the event is draft"):
        event.add_session(make_session(starts_at=at(3), ends_at=at(5), status="on_sale"), LATER)
    with pytest.raises(InvalidTransition, match="No session can be teaser while the event is draft"):
        event.update_session(event.sessions[0].id, SessionChanges(status="teaser"), LATER)


def test_a_session_follows_its_lifecycle() -> None:
    event = make_event(publish=True)
    session = event.sessions[0]
    event.update_session(session.id, SessionChanges(status="suspended"), LATER)
    event.update_session(session.id, SessionChanges(status="on_sale"), LATER)
    with pytest.raises(InvalidTransition, match="cannot go from on_sale to draft"):
        event.update_session(session.id, SessionChanges(status="draft"), LATER)
    event.update_session(session.id, SessionChanges(status="cancelled"), LATER)
    with pytest.raises(InvalidTransition, match="cancelled session can no longer be changed"):
        event.update_session(session.id, SessionChanges(title="x"), LATER)


def test_a_session_overlapping_another_at_the_same_place_names_it() -> None:
    event = make_event(sessions=(make_session(place="Sala 1"),))
    existing = event.sessions[0]
    with pytest.raises(SessionOverlap) as raised:
        event.add_session(make_session(starts_at=at(1), ends_at=at(3), place=" SALA  1 "), LATER)
    assert raised.value.conflicting_session_id == existing.id
    assert str(existing.id) in str(raised.value)
    assert len(event.sessions) == 1


def test_only_sessions_out_of_draft_hold_their_slot_from_other_organizations() -> None:
    event = make_event(sessions=(make_session(), make_session(starts_at=at(3), ends_at=at(5))))
    assert [session.public for session in event.sessions] == [False, False]
    event.publish(LATER)
    event.update_session(event.sessions[1].id, SessionChanges(status="cancelled"), LATER)
    assert [session.public for session in event.sessions] == [True, False]


def test_a_slot_taken_by_another_organization_names_nothing_of_theirs() -> None:
    taken = VenueSlotTaken(session_id=uuid.uuid4()).at("sessions.1")
    assert str(taken) == "This time slot at the venue and place is already taken."
    assert taken.field == "sessions.1"


def test_moving_a_session_onto_another_is_refused_and_changes_nothing() -> None:
    event = make_event(sessions=(make_session(), make_session(starts_at=at(3), ends_at=at(5))))
    _, second = event.sessions
    with pytest.raises(SessionOverlap):
        event.update_session(second.id, SessionChanges(starts_at=at(1)), LATER)
    assert second.starts_at == at(3)
    assert event.version == 1


def test_a_cancelled_session_frees_its_slot() -> None:
    event = make_event(publish=True, sessions=(make_session(),))
    event.update_session(event.sessions[0].id, SessionChanges(status="cancelled"), LATER)
    event.add_session(make_session(), LATER)
    assert len(event.live_sessions) == 2


def test_session_changes_are_validated_field_by_field() -> None:
    event = make_event()
    session = event.sessions[0]
    with pytest.raises(InvalidInput) as raised:
        event.update_session(
            session.id,
            SessionChanges(title="x" * 201, ends_at=at(9), capacity_override=10_000, resources=("",)),
            LATER,
        )
    assert {p.field for p in raised.value.problems} == {
        "title",
        "ends_at",
        "capacity_override",
        "resources.0",
    }


def test_a_capacity_override_of_zero_removes_it() -> None:
    event = make_event(sessions=(make_session(capacity_override=10),))
    session = event.update_session(event.sessions[0].id, SessionChanges(capacity_override=0), LATER)
    assert session.capacity_override is None


def test_an_event_keeps_at_least_one_session() -> None:
    event = make_event(sessions=(make_session(),))
    with pytest.raises(InvalidTransition, match="at least one session"):
        event.remove_session(event.sessions[0].id, LATER)


def test_a_session_on_sale_is_suspended_or_cancelled_before_removal() -> None:
    event = make_event(publish=True, sessions=(make_session(), make_session(starts_at=at(3), ends_at=at(5))))
    target = event.sessions[1]
    with pytest.raises(InvalidTransition, match="suspend or cancel it first"):
        event.remove_session(target.id, LATER)
    event.update_session(target.id, SessionChanges(status="cancelled"), LATER)
    event.remove_session(target.id, LATER, taken={})
    assert target.removed
    with pytest.raises(SessionNotFound):
        event.session(target.id)


def test_new_sessions_must_start_in_the_future() -> None:
    event = make_event()
    with pytest.raises(InvalidInput) as raised:
        event.add_session(make_session(), at(1))
    assert [p.field for p in raised.value.problems] == ["starts_at"]


def test_a_session_with_places_taken_is_cancelled_not_removed() -> None:
    event = make_event(publish=True, sessions=(make_session(), make_session(starts_at=at(3), ends_at=at(5))))
    first, second = event.sessions
    event.update_session(first.id, SessionChanges(status="suspended"), LATER)
    taken = {(first.id, event.zones[0].id): 3}
    with pytest.raises(PlacesTaken, match="3 places held or sold"):
        event.remove_session(first.id, LATER, taken)
    with pytest.raises(SalesUnknown):
        event.remove_session(first.id, LATER)  # a published event's sales must be counted first
    event.remove_session(first.id, LATER, {(second.id, event.zones[0].id): 3})
    assert first.removed
