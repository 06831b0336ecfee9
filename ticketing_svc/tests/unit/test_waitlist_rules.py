"""The waiting list's serving rule: strict first come, first served, the head blocking the line."""

import dataclasses
import datetime as dt
import uuid

import pytest
from ticketing_factories import NOW, make_event, make_zone

from ticketing_svc.domain.errors import InvalidInput, NotOnSale
from ticketing_svc.domain.model import ItemRequest, Reservation, ReservationStatus, SaleSettings
from ticketing_svc.domain.waitlist import WaitlistEntry, WaitlistStatus, next_to_serve, serving_order


def entry(quantity: int, position: int, status: WaitlistStatus = WaitlistStatus.WAITING) -> WaitlistEntry:
    return WaitlistEntry(
        id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        session_id=uuid.uuid4(),
        zone_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        quantity=quantity,
        status=status,
        created_at=NOW,
        position=position,
    )


def test_the_head_is_served_when_its_places_are_free() -> None:
    head, second = entry(2, 1), entry(1, 2)
    assert next_to_serve(2, [second, head]) is head


def test_a_group_at_the_head_blocks_smaller_entries_behind_it() -> None:
    group, single = entry(4, 1), entry(1, 2)
    assert next_to_serve(3, [group, single]) is None
    assert serving_order(3, [group, single]) == []


def test_places_serve_entries_in_order_while_the_head_fits() -> None:
    first, second, third, fourth = entry(1, 10), entry(2, 11), entry(3, 12), entry(1, 13)
    # 1 + 2 fit in 4; the 3 behind them does not fit in the 1 left, so the single after it waits.
    assert serving_order(4, [fourth, third, second, first]) == [first, second]


def test_the_group_is_served_once_enough_places_came_back() -> None:
    group, single = entry(4, 1), entry(1, 2)
    assert serving_order(5, [single, group]) == [group, single]


def test_nobody_is_served_from_an_empty_list_or_without_places() -> None:
    assert next_to_serve(10, []) is None
    assert next_to_serve(0, [entry(1, 1)]) is None


def test_joining_checks_the_zone_and_its_places_per_order() -> None:
    zone = make_zone(2, max_per_order=4)
    event = make_event(zones=[zone])
    session = event.sessions[0].id
    joined = WaitlistEntry.join(
        event, session_id=session, zone_id=zone.id, quantity=4, customer_id=uuid.uuid4(), now=NOW
    )
    assert (joined.status, joined.quantity) == (WaitlistStatus.WAITING, 4)
    with pytest.raises(InvalidInput):
        WaitlistEntry.join(
            event, session_id=session, zone_id=zone.id, quantity=5, customer_id=uuid.uuid4(), now=NOW
        )
    with pytest.raises(InvalidInput):
        WaitlistEntry.join(
            event, session_id=session, zone_id=uuid.uuid4(), quantity=1, customer_id=uuid.uuid4(), now=NOW
        )
    limited = dataclasses.replace(event, settings=SaleSettings(max_per_customer=2))
    with pytest.raises(InvalidInput):
        WaitlistEntry.join(
            limited, session_id=session, zone_id=zone.id, quantity=3, customer_id=uuid.uuid4(), now=NOW
        )


def test_a_session_not_on_sale_has_no_waiting_list() -> None:
    event = make_event(session_status="cancelled")
    with pytest.raises(NotOnSale):
        WaitlistEntry.join(
            event,
            session_id=event.sessions[0].id,
            zone_id=event.zones[0].id,
            quantity=1,
            customer_id=uuid.uuid4(),
            now=NOW,
        )


def test_an_offer_records_the_hold_and_its_end_decides_the_entrys_fate() -> None:
    event = make_event()
    session, zone = event.sessions[0].id, event.zones[0].id
    for ending, status in (
        (ReservationStatus.PURCHASED, WaitlistStatus.FULFILLED),
        (ReservationStatus.RELEASED, WaitlistStatus.LEFT),
        (ReservationStatus.EXPIRED, WaitlistStatus.EXPIRED),
    ):
        waiting = WaitlistEntry.join(
            event, session_id=session, zone_id=zone, quantity=2, customer_id=uuid.uuid4(), now=NOW
        )
        hold = Reservation.hold(
            event, session_id=session, items=[ItemRequest(zone, 2)], customer_id=waiting.customer_id, now=NOW
        )
        waiting.offer(hold, event, NOW)
        assert (waiting.status, waiting.offer_reservation_id) == (WaitlistStatus.OFFERED, hold.id)
        assert waiting.offer_expires_at == NOW + dt.timedelta(minutes=event.settings.hold_minutes)
        assert waiting.events[-1].reservation_id == hold.id  # type: ignore[union-attr]
        hold.status = ending
        assert waiting.offer_ended(hold, NOW)
        assert waiting.status is status
        assert not waiting.offer_ended(hold, NOW)  # once


def test_leaving_ends_an_active_entry_once() -> None:
    waiting = entry(1, 1)
    assert waiting.leave(NOW, event_name="Noche")
    assert waiting.status is WaitlistStatus.LEFT
    assert not waiting.leave(NOW, event_name="Noche")
