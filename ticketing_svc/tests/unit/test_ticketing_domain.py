"""Ticketing's rules as plain Python: holds, items, sold-out transitions, sale status, what sells, and
the reading of the catalog's messages."""

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from ticketing_factories import NOW, catalog_message, catalog_payload, make_event, make_zone

from taquilla_runtime.messaging.envelope import Envelope
from ticketing_svc.domain.errors import InvalidInput, NotOnSale
from ticketing_svc.domain.events import (
    ReservationExpired,
    ReservationHeld,
    ReservationReleased,
    ZoneBackOnSale,
    ZoneSoldOut,
)
from ticketing_svc.domain.model import (
    DEFAULT_HOLD_MINUTES,
    MAX_ITEMS,
    CatalogEvent,
    CatalogSession,
    InventoryLine,
    ItemRequest,
    Money,
    Reservation,
    ReservationStatus,
    SaleSettings,
    SaleStatus,
    SessionUpdate,
    check_items,
    sale_status,
    stock_transitions,
)
from ticketing_svc.entrypoints.catalog_messages import UnreadableMessage, command_for

CUSTOMER = uuid.uuid4()


def hold(event: CatalogEvent, *items: ItemRequest, now: dt.datetime = NOW) -> Reservation:
    return Reservation.hold(
        event,
        session_id=event.sessions[0].id,
        items=items or (ItemRequest(event.zones[0].id, 1),),
        customer_id=CUSTOMER,
        now=now,
    )


def line(capacity: int, held: int = 0, sold: int = 0, zone_id: uuid.UUID | None = None) -> InventoryLine:
    return InventoryLine(uuid.UUID(int=1), zone_id or uuid.UUID(int=2), capacity, held, sold)


# ---------------------------------------------------------------- reservations


def test_a_hold_lasts_the_events_hold_minutes_and_prices_every_item() -> None:
    cheap, dear = make_zone(amount="10.00"), make_zone(amount="42.50")
    event = make_event(zones=(cheap, dear), settings=SaleSettings(hold_minutes=7))
    reservation = hold(event, ItemRequest(cheap.id, 3), ItemRequest(dear.id, 2))
    assert reservation.status is ReservationStatus.HELD
    assert (reservation.created_at, reservation.expires_at) == (NOW, NOW + dt.timedelta(minutes=7))
    assert reservation.ended_at is None
    assert [(i.zone_id, i.zone_name, i.quantity, i.unit_price) for i in reservation.items] == [
        (cheap.id, cheap.name, 3, cheap.price),
        (dear.id, dear.name, 2, dear.price),
    ]
    assert reservation.quantity == 5
    assert reservation.total == Money(Decimal("115.00"), "EUR")
    assert (reservation.event_id, reservation.event_name, reservation.customer_id) == (
        event.id,
        event.name,
        CUSTOMER,
    )


def test_a_hold_records_that_it_was_held() -> None:
    reservation = hold(make_event())
    assert len(reservation.events) == 1
    held = reservation.events[0]
    assert isinstance(held, ReservationHeld)
    assert held.occurred_at == NOW
    assert held.reservation.id == reservation.id
    assert held.reservation is not reservation  # a snapshot: later changes do not rewrite the message
    assert held.reservation.events == []


def test_a_hold_takes_the_id_it_is_given() -> None:
    event = make_event()
    chosen = uuid.uuid4()
    reservation = Reservation.hold(
        event,
        session_id=event.sessions[0].id,
        items=(ItemRequest(event.zones[0].id, 1),),
        customer_id=CUSTOMER,
        now=NOW,
        reservation_id=chosen,
    )
    assert reservation.id == chosen


def test_invalid_items_are_reported_before_whether_the_session_sells() -> None:
    event = make_event(status="draft")
    with pytest.raises(InvalidInput):
        hold(event, ItemRequest(uuid.uuid4(), 1))
    with pytest.raises(NotOnSale, match="draft"):
        hold(event)


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (make_event(status="draft"), "The event is draft"),
        (make_event(session_status="teaser"), "The session is teaser"),
        (make_event(session_status="in_progress"), "The session is in progress"),
        (make_event(settings=SaleSettings(on_sale_at=NOW + dt.timedelta(hours=2))), "go on sale at"),
    ],
)
def test_not_on_sale_says_why(event: CatalogEvent, reason: str) -> None:
    with pytest.raises(NotOnSale, match=reason):
        hold(event)


def test_release_ends_a_hold_once() -> None:
    reservation = hold(make_event())
    later = NOW + dt.timedelta(minutes=1)
    assert reservation.release(later) is True
    assert (reservation.status, reservation.ended_at) == (ReservationStatus.RELEASED, later)
    assert not reservation.held
    assert reservation.release(later + dt.timedelta(minutes=1)) is False
    assert reservation.ended_at == later
    assert [type(e) for e in reservation.events] == [ReservationHeld, ReservationReleased]
    assert reservation.events[1].reservation.status is ReservationStatus.RELEASED


def test_a_hold_expires_when_its_time_runs_out_and_not_before() -> None:
    reservation = hold(make_event(settings=SaleSettings(hold_minutes=5)))
    assert reservation.expire(reservation.expires_at - dt.timedelta(microseconds=1)) is False
    assert reservation.held
    assert reservation.expire(reservation.expires_at) is True
    assert (reservation.status, reservation.ended_at) == (ReservationStatus.EXPIRED, reservation.expires_at)
    assert reservation.expire(reservation.expires_at + dt.timedelta(hours=1)) is False
    assert reservation.release(reservation.expires_at + dt.timedelta(hours=1)) is False
    assert [type(e) for e in reservation.events] == [ReservationHeld, ReservationExpired]


def test_a_released_hold_never_expires() -> None:
    reservation = hold(make_event())
    reservation.release(NOW)
    assert reservation.expire(NOW + dt.timedelta(days=1)) is False
    assert reservation.status is ReservationStatus.RELEASED


def test_a_snapshot_copies_the_state_without_the_events() -> None:
    reservation = hold(make_event())
    copy = reservation.snapshot()
    reservation.release(NOW)
    assert copy.status is ReservationStatus.HELD
    assert copy.events == []
    assert (copy.id, copy.items) == (reservation.id, reservation.items)


# ---------------------------------------------------------------- items


def test_items_name_at_least_one_zone() -> None:
    assert [(p.field, p.message) for p in check_items(make_event(), [])] == [
        ("items", "must list at least one zone")
    ]


def test_items_name_at_most_max_items_zones() -> None:
    zones = tuple(make_zone() for _ in range(MAX_ITEMS + 1))
    event = make_event(zones=zones)
    assert check_items(event, [ItemRequest(z.id, 1) for z in zones[:MAX_ITEMS]]) == []
    problems = check_items(event, [ItemRequest(z.id, 1) for z in zones])
    assert [(p.field, p.message) for p in problems] == [
        ("items", f"at most {MAX_ITEMS} zones per reservation")
    ]


def test_each_item_names_a_zone_of_the_event_once_with_a_quantity_it_allows() -> None:
    small = make_zone(max_per_order=2)
    event = make_event(zones=(make_zone(), small))
    problems = check_items(
        event,
        [
            ItemRequest(uuid.uuid4(), 1),
            ItemRequest(event.zones[0].id, 0),
            ItemRequest(small.id, 3),
            ItemRequest(small.id, 2),
        ],
    )
    assert [(p.field, p.message) for p in problems] == [
        ("items.0.zone_id", "is not a zone of this event"),
        ("items.1.quantity", "must be at least 1"),
        ("items.2.quantity", "at most 2 places of this zone per order"),
        ("items.3.zone_id", "appears more than once"),
    ]
    assert check_items(event, [ItemRequest(small.id, 2), ItemRequest(event.zones[0].id, 10)]) == []


def test_the_zones_of_one_reservation_share_a_currency() -> None:
    euros, pounds = make_zone(currency="EUR"), make_zone(currency="GBP")
    event = make_event(zones=(euros, pounds))
    problems = check_items(event, [ItemRequest(euros.id, 1), ItemRequest(pounds.id, 1)])
    assert [p.field for p in problems] == ["items"]


# ---------------------------------------------------------------- inventory lines and sale status


def test_places_left_are_never_negative() -> None:
    assert line(10, held=3, sold=2).available == 5
    lowered = line(4, held=3, sold=2)  # capacity lowered below what was taken
    assert (lowered.available, lowered.sold_out) == (0, True)


@pytest.mark.parametrize(
    ("taken", "status"),
    [
        (0, SaleStatus.ON_SALE),
        (89, SaleStatus.ON_SALE),
        (90, SaleStatus.FEW_LEFT),  # 10 % left
        (99, SaleStatus.FEW_LEFT),
        (100, SaleStatus.SOLD_OUT),
    ],
)
def test_sale_status_follows_the_places_left(taken: int, status: SaleStatus) -> None:
    assert sale_status(line(100, held=taken // 2, sold=taken - taken // 2), selling=True) is status


def test_a_session_not_selling_is_not_on_sale_whatever_is_left() -> None:
    for held in (0, 95, 100):
        assert sale_status(line(100, held=held), selling=False) is SaleStatus.NOT_ON_SALE


def test_a_zone_going_sold_out_and_coming_back_are_transitions() -> None:
    a, b, c = uuid.UUID(int=10), uuid.UUID(int=11), uuid.UUID(int=12)
    before = [line(2, 1, zone_id=a), line(2, 2, zone_id=b), line(5, 1, zone_id=c)]
    after = [line(2, 2, zone_id=a), line(2, 1, zone_id=b), line(5, 2, zone_id=c)]
    found = stock_transitions(before, after, event_id=uuid.UUID(int=3), event_name="Tango", now=NOW)
    assert [(type(e), e.line.zone_id) for e in found] == [(ZoneSoldOut, a), (ZoneBackOnSale, b)]
    assert all((e.event_id, e.event_name, e.occurred_at) == (uuid.UUID(int=3), "Tango", NOW) for e in found)


def test_a_line_without_a_before_is_no_transition() -> None:
    assert stock_transitions([], [line(1, 1)], event_id=uuid.uuid4(), event_name="x", now=NOW) == []


# ---------------------------------------------------------------- what sells


def test_a_published_event_sells_its_on_sale_sessions_from_on_sale_at() -> None:
    opens = NOW + dt.timedelta(hours=1)
    event = make_event(sessions=2, settings=SaleSettings(on_sale_at=opens))
    session = event.sessions[0].id
    assert not event.sells(session, opens - dt.timedelta(seconds=1))
    assert event.sells(session, opens)
    assert not event.sells(uuid.uuid4(), opens)
    removed = dataclasses.replace(
        event, sessions=(dataclasses.replace(event.sessions[0], removed=True), event.sessions[1])
    )
    assert not removed.sells(session, opens)
    assert removed.sells(event.sessions[1].id, opens)
    for status in ("draft", "cancelled", "completed"):
        assert not dataclasses.replace(event, status=status).sells(session, opens)


def test_a_newer_session_update_replaces_that_session_and_the_events_status() -> None:
    event = make_event(sessions=2, version=3)
    changed = CatalogSession(event.sessions[1].id, "cancelled")
    updated = event.with_session(SessionUpdate(4, "published", changed))
    assert (updated.version, updated.session(changed.id)) == (4, changed)
    assert updated.session(event.sessions[0].id) == event.sessions[0]
    assert len(updated.sessions) == 2
    assert event.with_session(SessionUpdate(2, "cancelled", changed)) is None


def test_removed_sessions_have_no_places() -> None:
    event = make_event(zones=2, sessions=2, capacity=9)
    removed = dataclasses.replace(
        event, sessions=(event.sessions[0], dataclasses.replace(event.sessions[1], removed=True))
    )
    assert sorted(removed.inventory_lines()) == sorted(
        (event.sessions[0].id, zone.id, 9) for zone in event.zones
    )


@pytest.mark.parametrize(("asked", "kept"), [(0, 2), (1, 2), (2, 2), (10, 10), (30, 30), (31, 30), (500, 30)])
def test_hold_minutes_are_kept_between_2_and_30(asked: int, kept: int) -> None:
    assert SaleSettings(hold_minutes=asked).hold_minutes == kept


def test_sale_settings_default_to_a_ten_minute_hold_without_limits() -> None:
    settings = SaleSettings()
    assert (settings.on_sale_at, settings.hold_minutes, settings.max_per_customer) == (
        None,
        DEFAULT_HOLD_MINUTES,
        None,
    )


# ---------------------------------------------------------------- the catalog's messages


@pytest.mark.parametrize("message_type", ["EventCreated", "EventPublished", "EventUpdated", "EventCancelled"])
def test_a_full_catalog_message_carries_the_whole_event(message_type: str) -> None:
    event = make_event(
        zones=(make_zone(7, max_per_order=3, amount="12.00"), make_zone(40)),
        sessions=2,
        version=6,
        settings=SaleSettings(on_sale_at=NOW, hold_minutes=15, max_per_customer=6),
    )
    message = catalog_message(event, message_type)
    command = command_for(message)
    assert command is not None
    assert (command.message_id, command.message_type, command.event_id) == (
        message.message_id,
        message_type,
        event.id,
    )
    assert command.event == event
    assert command.session is None


def test_sale_settings_and_per_order_limits_may_be_left_out() -> None:
    event = make_event()
    payload = catalog_payload(event)
    del payload["sales"]
    for zone in payload["zones"]:
        del zone["maxPerOrder"]
    payload["sessions"][0].pop("removed")
    command = command_for(_envelope(event, "EventPublished", {"event": payload}))
    assert command is not None
    assert command.event is not None
    assert command.event.settings == SaleSettings()
    assert command.event.zones[0].max_per_order == 10
    assert command.event.sessions[0].removed is False


def test_on_sale_at_is_read_with_a_z_suffix() -> None:
    event = make_event()
    payload = catalog_payload(event)
    payload["sales"]["onSaleAt"] = "2027-03-01T18:00:00Z"
    command = command_for(_envelope(event, "EventPublished", {"event": payload}))
    assert command is not None
    assert command.event is not None
    assert command.event.settings.on_sale_at == NOW


def test_a_session_change_carries_one_session_and_the_events_version_and_status() -> None:
    event = make_event()
    session_id = uuid.uuid4()
    payload = {
        "change": "updated",
        "eventVersion": 7,
        "eventStatus": "published",
        "session": {"id": str(session_id), "status": "suspended", "removed": False, "title": "2nd"},
    }
    command = command_for(_envelope(event, "SessionChanged", payload))
    assert command is not None
    assert command.event is None
    assert command.session == SessionUpdate(7, "published", CatalogSession(session_id, "suspended", False))


@pytest.mark.parametrize("message_type", ["TicketsSold", "EventDeleted", "OrganizationCreated"])
def test_messages_of_other_types_are_of_no_interest(message_type: str) -> None:
    event = make_event()
    assert command_for(_envelope(event, message_type, {"whatever": True})) is None


def _broken(change: Any) -> dict[str, Any]:
    payload = catalog_payload(make_event())
    change(payload)
    return {"event": payload}


@pytest.mark.parametrize(
    ("message_type", "payload"),
    [
        ("EventPublished", {}),
        ("EventPublished", {"event": None}),
        ("EventPublished", _broken(lambda p: p.pop("zones"))),
        ("EventPublished", _broken(lambda p: p.update(id="not-a-uuid"))),
        ("EventPublished", _broken(lambda p: p.update(version="seven"))),
        ("EventPublished", _broken(lambda p: p["zones"][0].update(capacity=None))),
        ("EventPublished", _broken(lambda p: p["zones"][0]["price"].update(amount="cheap"))),
        ("EventPublished", _broken(lambda p: p["sales"].update(onSaleAt="tomorrow"))),
        ("EventUpdated", _broken(lambda p: p.update(sessions=[{"status": "on_sale"}]))),
        ("EventCancelled", _broken(lambda p: p.update(id=12345))),
        ("EventPublished", _broken(lambda p: p["sales"].update(onSaleAt=20270301))),
        ("SessionChanged", {"eventVersion": 3, "eventStatus": "published"}),
        (
            "SessionChanged",
            {"eventVersion": "x", "eventStatus": "published", "session": {"id": str(uuid.uuid4())}},
        ),
        (
            "SessionChanged",
            {"eventVersion": 3, "eventStatus": "published", "session": {"id": "nope", "status": "x"}},
        ),
    ],
)
def test_an_unreadable_payload_is_a_poison_message(message_type: str, payload: dict[str, Any]) -> None:
    with pytest.raises(UnreadableMessage, match=message_type):
        command_for(_envelope(make_event(), message_type, payload))


def _envelope(event: CatalogEvent, message_type: str, payload: dict[str, Any]) -> Envelope:
    return Envelope.new(event_id=event.id, name=event.name, type=message_type, payload=payload)
