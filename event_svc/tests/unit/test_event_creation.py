"""Creating an event: validation of the whole request, derived sessions, capacity and inventory."""

import datetime as dt

import pytest
from catalog_factories import (
    NOW,
    at,
    make_event,
    make_event_input,
    make_session,
    make_venue,
    make_zone,
    organizer,
)

from event_svc.domain.commands import EventChanges, SalesInput
from event_svc.domain.errors import InvalidInput
from event_svc.domain.events import EventCreated
from event_svc.domain.model import Event, EventStatus, SaleSettings, SessionStatus


def create(**overrides: object) -> Event:
    actor = organizer()
    assert actor.organization_id is not None
    return Event.create(
        make_event_input(**overrides),
        organization_id=actor.organization_id,
        created_by=actor.subject,
        now=NOW,
    )


def problems_of(**overrides: object) -> dict[str, str]:
    with pytest.raises(InvalidInput) as raised:
        create(**overrides)
    return {problem.field: problem.message for problem in raised.value.problems}


def test_a_new_event_is_a_draft_at_version_1_that_records_its_creation() -> None:
    event = create()
    assert event.status is EventStatus.DRAFT
    assert event.version == 1
    assert [type(e) for e in event.events] == [EventCreated]
    assert event.created_at == event.updated_at == NOW


def test_an_event_without_sessions_gets_one_spanning_its_dates() -> None:
    event = create(sessions=())
    assert [(s.starts_at, s.ends_at, s.status) for s in event.sessions] == [
        (at(0), at(6), SessionStatus.DRAFT)
    ]


def test_stores_timestamps_in_utc() -> None:
    local = dt.timezone(dt.timedelta(hours=-6))
    event = create(starts_at=at(0).astimezone(local), ends_at=at(6).astimezone(local))
    assert event.starts_at.tzinfo is dt.UTC
    assert event.starts_at == at(0)


def test_lists_every_invalid_field_at_once_with_its_path() -> None:
    problems = problems_of(
        name="x",
        category="opera",
        venue=make_venue(city=" "),
        zones=(
            make_zone(),
            make_zone(name="VIP", price_amount="12.345"),
            make_zone(name="Palco", capacity=0),
        ),
        image_url="javascript:alert(1)",
        timezone="Nowhere/Land",
    )
    assert set(problems) == {
        "name",
        "category",
        "venue.city",
        "zones.1.price.amount",
        "zones.2.capacity",
        "image_url",
        "timezone",
    }


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field", "message"),
    [
        (NOW - dt.timedelta(hours=1), at(6), "starts_at", "must be in the future"),
        (at(6), at(1), "ends_at", "must be after starts_at"),
        (at(0).replace(tzinfo=None), at(6), "starts_at", "must carry a UTC offset"),
        (None, at(6), "starts_at", "is required"),
        (at(0), at(0) + dt.timedelta(days=400), "ends_at", "must be within 366 days of starts_at"),
        (
            NOW + dt.timedelta(days=6 * 366),
            NOW + dt.timedelta(days=6 * 366, hours=1),
            "starts_at",
            "must be within the next five years",
        ),
    ],
)
def test_dates_are_in_the_future_and_end_after_they_start(
    starts_at: dt.datetime | None, ends_at: dt.datetime, field: str, message: str
) -> None:
    assert problems_of(starts_at=starts_at, ends_at=ends_at)[field] == message


def test_zone_names_are_unique_ignoring_case_and_accents() -> None:
    problems = problems_of(zones=(make_zone(name="Général"), make_zone(name="GENERAL")))
    assert problems == {"zones.1.name": "repeats the name of zone 0"}


def test_needs_at_least_one_zone() -> None:
    assert problems_of(zones=()) == {"zones": "an event needs at least one zone"}


def test_sessions_lie_within_the_event_dates() -> None:
    problems = problems_of(
        sessions=(make_session(starts_at=at(-1), ends_at=at(1)), make_session(starts_at=at(3), ends_at=at(7)))
    )
    assert set(problems) == {"sessions.0.starts_at", "sessions.1.ends_at"}


def test_sessions_of_one_event_at_the_same_place_may_not_overlap() -> None:
    problems = problems_of(
        sessions=(make_session(place="Sala A"), make_session(starts_at=at(1), ends_at=at(3), place="sala a"))
    )
    assert problems == {"sessions.1": "overlaps session 0 of this event at the same place"}


def test_sessions_at_different_places_or_back_to_back_may_share_the_day() -> None:
    event = create(
        sessions=(
            make_session(place="Sala A"),
            make_session(place="Sala B"),
            make_session(starts_at=at(2), ends_at=at(4), place="Sala A"),
        )
    )
    assert len(event.sessions) == 3


def test_new_sessions_start_as_drafts() -> None:
    problems = problems_of(sessions=(make_session(status="on_sale"),))
    assert "sessions.0.status" in problems


def test_capacity_is_derived_from_zones_and_sessions_with_overrides() -> None:
    event = create(
        zones=(make_zone(capacity=100), make_zone(name="VIP", capacity=20)),
        sessions=(make_session(), make_session(starts_at=at(3), ends_at=at(5), capacity_override=50)),
    )
    assert event.zones_capacity == 120
    assert event.capacity == 120 + 50


def test_a_capacity_override_may_not_exceed_the_zones() -> None:
    problems = problems_of(zones=(make_zone(capacity=10),), sessions=(make_session(capacity_override=11),))
    assert problems == {"sessions.0.capacity_override": "must not exceed the zones' capacity (10)"}


def test_every_zone_is_sold_in_every_session() -> None:
    event = create(sessions=(make_session(), make_session(starts_at=at(3), ends_at=at(5))))
    lines = event.session_zones()
    assert len(lines) == 2 * 2
    assert {(line.session_id, line.zone_id) for line in lines} == {
        (s.id, z.id) for s in event.sessions for z in event.zones
    }
    assert {line.capacity for line in lines} == {100, 20}


def test_text_is_sanitized_before_it_is_kept() -> None:
    event = create(
        name="  Gran\x00  concierto\u202e ",
        description="<p>Primera línea</p>\r\nSegunda\x1b[31m",
        venue=make_venue(name="Foro\tSol"),
    )
    assert event.name == "Gran concierto"
    assert event.description == "Primera línea\nSegunda[31m"
    assert event.venue.name == "Foro Sol"


def test_money_keeps_cents_exactly() -> None:
    event = make_event(zones=(make_zone(price_amount="0.10"), make_zone(name="B", price_amount="0.20")))
    assert sum(z.price.amount for z in event.zones) == event.zones[0].price.amount * 3


def test_sale_settings_default_to_selling_at_publication_with_ten_minute_holds() -> None:
    event = create()
    assert event.sales == SaleSettings()
    assert (event.sales.hold_minutes, event.sales.max_per_customer, event.sales.waiting_room) == (
        10,
        None,
        False,
    )
    assert {zone.max_per_order for zone in event.zones} == {10}


def test_a_new_event_gives_ten_minutes_to_pay_refuses_reentry_and_allows_transfers() -> None:
    sales = create().sales
    assert (sales.payment_minutes, sales.reentry_allowed, sales.transfers_allowed) == (10, False, True)


@pytest.mark.parametrize("minutes", [0, 61, -5])
def test_payment_minutes_outside_1_to_60_is_a_field_error(minutes: int) -> None:
    assert problems_of(sales=SalesInput(payment_minutes=minutes)) == {
        "sales.payment_minutes": "must be between 1 and 60"
    }


@pytest.mark.parametrize("minutes", [1, 60])
def test_payment_minutes_accepts_its_bounds(minutes: int) -> None:
    assert create(sales=SalesInput(payment_minutes=minutes)).sales.payment_minutes == minutes


def test_payment_reentry_and_transfers_are_set_at_creation_and_changed_one_at_a_time() -> None:
    event = create(sales=SalesInput(payment_minutes=25, reentry_allowed=True, transfers_allowed=False))
    assert event.sales == SaleSettings(payment_minutes=25, reentry_allowed=True, transfers_allowed=False)
    assert event.update(EventChanges(sales=SalesInput(transfers_allowed=True)), NOW) == ("sales",)
    assert event.sales == SaleSettings(payment_minutes=25, reentry_allowed=True, transfers_allowed=True)
    assert event.update(EventChanges(sales=SalesInput(reentry_allowed=True)), NOW) == ()
    with pytest.raises(InvalidInput) as raised:
        event.update(EventChanges(sales=SalesInput(payment_minutes=61, reentry_allowed=False)), NOW)
    assert [(p.field, p.message) for p in raised.value.problems] == [
        ("sales.payment_minutes", "must be between 1 and 60")
    ]
    assert event.sales.reentry_allowed  # a refused change changes nothing


def test_sale_settings_are_checked_with_the_event() -> None:
    problems = problems_of(
        sales=SalesInput(on_sale_at=at(7), hold_minutes=1, max_per_customer=5000, admission_per_minute=0),
        zones=(make_zone(max_per_order=101),),
    )
    assert problems == {
        "sales.on_sale_at": "must be before the event ends",
        "sales.hold_minutes": "must be between 2 and 30",
        "sales.max_per_customer": "must be between 1 and 1000",
        "sales.admission_per_minute": "must be between 1 and 100000",
        "zones.0.max_per_order": "must be between 1 and 100",
    }


def test_changing_sale_settings_keeps_what_is_not_mentioned_and_announces_the_change() -> None:
    event = create(
        sales=SalesInput(on_sale_at=at(-1), hold_minutes=5, max_per_customer=4),
        zones=(make_zone(max_per_order=6), make_zone(name="VIP")),
    )
    changed = event.update(EventChanges(sales=SalesInput(max_per_customer=0, waiting_room=True)), NOW)
    assert changed == ("sales",)
    assert event.sales == SaleSettings(
        on_sale_at=at(-1), hold_minutes=5, max_per_customer=None, waiting_room=True
    )
    with pytest.raises(InvalidInput):  # a waiting room needs an on-sale time
        event.update(EventChanges(sales=SalesInput(clear_on_sale_at=True)), NOW)
    event.update(EventChanges(sales=SalesInput(clear_on_sale_at=True, waiting_room=False)), NOW)
    assert event.sales.on_sale_at is None
    # A replaced zone keeps its own limit unless the replacement names one.
    event.update(EventChanges(zones=(make_zone(capacity=50), make_zone(name="VIP", max_per_order=2))), NOW)
    assert [zone.max_per_order for zone in event.zones] == [6, 2]
