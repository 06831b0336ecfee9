"""Message contracts: every Kafka message type's payload is defined once, as a JSON Schema beside the
topic's proto (protos/taquilla/<context>/v1/messages.schema.json). The producers' own code is
checked against it, and each consumer reads messages that the producer's code made, never
hand-written payloads that could drift. Enum values shared by protos, domains and the edge's
literals are checked here too."""

from __future__ import annotations

import datetime as dt
import enum
import json
import typing
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from devstack.samples import CATALOG_KINDS, catalog_message
from edge.api.schemas import events as edge_events
from edge.api.schemas import reports as edge_reports
from edge.api.schemas import reservations as edge_reservations
from event_svc.adapters.outbox import envelope_for as catalog_envelope
from event_svc.domain import model as catalog
from event_svc.domain.commands import (
    EventChanges,
    EventInput,
    SalesInput,
    SessionInput,
    VenueInput,
    ZoneInput,
)
from event_svc.domain.events import SessionChange
from event_svc.entrypoints import sales_messages
from identity_svc.adapters.outbox import envelope_for as identity_envelope
from identity_svc.domain.events import RegistrationAttempted
from taquilla.events.v1 import event_service_pb2 as events_pb
from taquilla.ticketing.v1 import ticketing_service_pb2 as ticketing_pb
from taquilla_runtime.messaging.envelope import Envelope
from ticketing_svc.adapters.outbox import envelope_for as ticketing_envelope
from ticketing_svc.domain import checkins as ticketing_checkins
from ticketing_svc.domain import model as ticketing
from ticketing_svc.domain import orders as ticketing_orders
from ticketing_svc.domain import reports as ticketing_reports
from ticketing_svc.domain import transfers as ticketing_transfers
from ticketing_svc.domain import waitlist as ticketing_waitlist
from ticketing_svc.domain.waiting_room import QueueStatus
from ticketing_svc.entrypoints import catalog_messages

PROTOS = Path(__file__).resolve().parents[2] / "protos" / "taquilla"
NOW = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)


def validator(topic_dir: str) -> Draft202012Validator:
    schema = json.loads((PROTOS / topic_dir / "v1" / "messages.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


CATALOG = validator("events")
TICKETING = validator("ticketing")
IDENTITY = validator("identity")


def wire(envelope: Envelope) -> dict[str, Any]:
    """The message as a consumer receives it: the bytes the relay publishes, parsed."""
    return json.loads(envelope.to_bytes())


# ---------------------------------------------------------------- the catalog's messages


def catalog_messages_of_a_lifetime() -> list[Envelope]:
    """Every message type event_svc produces, made by event_svc's own domain and outbox code."""
    event = catalog.Event.create(
        EventInput(
            name="Noche de contrato",
            description="",
            category="concert",
            venue=VenueInput("Sala Contrato", "Bilbao", "Calle 1", latitude=43.26, longitude=-2.93),
            starts_at=NOW + dt.timedelta(days=30),
            ends_at=NOW + dt.timedelta(days=30, hours=4),
            timezone="Europe/Madrid",
            zones=(ZoneInput("General", "20.00", "EUR", 100), ZoneInput("VIP", "80.50", "EUR", 10, 4)),
            sessions=(SessionInput(NOW + dt.timedelta(days=30), NOW + dt.timedelta(days=30, hours=2)),),
            sales=SalesInput(
                on_sale_at=NOW + dt.timedelta(days=1),
                max_per_customer=6,
                waiting_room=True,
                admission_per_minute=900,
            ),
        ),
        organization_id=uuid.uuid4(),
        created_by=uuid.uuid4(),
        now=NOW,
    )
    event.publish(NOW)
    event.update(EventChanges(name="Noche de contrato II"), NOW)
    event.add_session(
        SessionInput(NOW + dt.timedelta(days=30, hours=2), NOW + dt.timedelta(days=30, hours=3)), NOW
    )
    event.cancel("Lluvia", NOW)
    correlation = str(uuid.uuid4())
    return [catalog_envelope(domain_event, correlation) for domain_event in event.events]


def test_every_message_event_svc_makes_matches_its_schema() -> None:
    messages = catalog_messages_of_a_lifetime()
    assert {m.type for m in messages} == {
        "EventCreated",
        "EventPublished",
        "EventUpdated",
        "EventCancelled",
        "SessionChanged",
    }
    for message in messages:
        CATALOG.validate(wire(message))


@pytest.mark.parametrize("kind", CATALOG_KINDS)
def test_the_sample_catalog_messages_consumers_tests_are_fed_match_the_schema(kind: str) -> None:
    CATALOG.validate(wire(catalog_message(kind)))


def test_the_catalog_schema_refuses_what_a_consumer_could_not_read() -> None:
    good = wire(catalog_messages_of_a_lifetime()[0])
    for broken in (
        {**good, "type": "EventRenamed"},
        {**good, "payload": {"event": {**good["payload"]["event"], "zones": [{"id": "x"}]}}},
        {**good, "payload": {"event": {**good["payload"]["event"], "startsAt": "2030-01-01T12:00:00+01:00"}}},
        {**good, "extra": 1},
    ):
        with pytest.raises(ValidationError):
            CATALOG.validate(broken)


def test_the_catalog_always_sends_payment_minutes_reentry_and_transfers() -> None:
    """The schema lets them be absent (messages made before them); event_svc always sends them."""
    for envelope in catalog_messages_of_a_lifetime():
        snapshot = wire(envelope)["payload"].get("event")
        if snapshot is not None:
            assert {"paymentMinutes", "reentryAllowed", "transfersAllowed"} <= set(snapshot["sales"])
    event = catalog.Event.create(
        EventInput(
            name="Noche de puertas",
            description="",
            category="concert",
            venue=VenueInput("Sala Contrato", "Bilbao", "Calle 1"),
            starts_at=NOW + dt.timedelta(days=30),
            ends_at=NOW + dt.timedelta(days=30, hours=4),
            timezone="Europe/Madrid",
            zones=(ZoneInput("General", "20.00", "EUR", 100),),
            sales=SalesInput(payment_minutes=60, reentry_allowed=True, transfers_allowed=False),
        ),
        organization_id=uuid.uuid4(),
        created_by=uuid.uuid4(),
        now=NOW,
    )
    message = wire(catalog_envelope(event.events[0], None))
    CATALOG.validate(message)
    sales = message["payload"]["event"]["sales"]
    assert (sales["paymentMinutes"], sales["reentryAllowed"], sales["transfersAllowed"]) == (60, True, False)
    for wrong in ({"paymentMinutes": 0}, {"paymentMinutes": 61}, {"reentryAllowed": "yes"}):
        event_json = {**message["payload"]["event"], "sales": {**sales, **wrong}}
        broken = {**message, "payload": {"event": event_json}}
        with pytest.raises(ValidationError):
            CATALOG.validate(broken)


def test_ticketing_follows_every_catalog_message_the_catalog_makes() -> None:
    for message in catalog_messages_of_a_lifetime():
        command = catalog_messages.command_for(Envelope.from_bytes(message.to_bytes()))
        assert command is not None, message.type
        if command.event is not None:
            assert command.event.settings == ticketing.SaleSettings(
                on_sale_at=NOW + dt.timedelta(days=1),
                max_per_customer=6,
                waiting_room=True,
                admission_per_minute=900,
            )
            assert [z.max_per_order for z in command.event.zones] == [10, 4]


# ---------------------------------------------------------------- ticketing's messages


def ticketing_messages_of_a_sale() -> list[Envelope]:
    """Every message type ticketing_svc produces, made by its own domain and outbox code."""
    zone = ticketing.CatalogZone(uuid.uuid4(), "General", ticketing.Money(Decimal("20.00"), "EUR"), 2)
    session = ticketing.CatalogSession(uuid.uuid4(), "on_sale")
    event = ticketing.CatalogEvent(uuid.uuid4(), uuid.uuid4(), "Noche", "published", 2, (zone,), (session,))
    held = ticketing.Reservation.hold(
        event,
        session_id=session.id,
        items=[ticketing.ItemRequest(zone.id, 2)],
        customer_id=uuid.uuid4(),
        now=NOW,
    )
    released = ticketing.Reservation.hold(
        event,
        session_id=session.id,
        items=[ticketing.ItemRequest(zone.id, 1)],
        customer_id=uuid.uuid4(),
        now=NOW,
    )
    released.release(NOW)
    expired = ticketing.Reservation.hold(
        event,
        session_id=session.id,
        items=[ticketing.ItemRequest(zone.id, 1)],
        customer_id=uuid.uuid4(),
        now=NOW,
    )
    expired.expire(NOW + dt.timedelta(minutes=10))
    full = ticketing.InventoryLine(session.id, zone.id, 2, 2, 0)
    open_again = ticketing.InventoryLine(session.id, zone.id, 2, 1, 0)
    transitions = ticketing.stock_transitions(
        [open_again], [full], event_id=event.id, event_name=event.name, now=NOW
    ) + ticketing.stock_transitions([full], [open_again], event_id=event.id, event_name=event.name, now=NOW)
    entry = ticketing_waitlist.WaitlistEntry.join(
        event, session_id=session.id, zone_id=zone.id, quantity=2, customer_id=uuid.uuid4(), now=NOW
    )
    entry.offer(held, event, NOW)
    gone = ticketing_waitlist.WaitlistEntry.join(
        event, session_id=session.id, zone_id=zone.id, quantity=1, customer_id=uuid.uuid4(), now=NOW
    )
    gone.leave(NOW, event_name=event.name)
    domain_events = [
        *held.events,
        *released.events,
        *expired.events,
        *transitions,
        *orders_of_a_sale(event),
        *entry.events,
        *gone.events,
        *admissions_at_the_door(event),
    ]
    return [ticketing_envelope(domain_event, None)[0] for domain_event in domain_events]


def admissions_at_the_door(event: ticketing.CatalogEvent) -> list[ticketing_orders.DomainEvent]:
    """A holder let in online, out again, and let in twice by an offline door (the messages a scan
    makes are decided by the domain's own rules)."""
    session_id, zone = event.sessions[0].id, event.zones[0]
    ticket = ticketing_checkins.DoorTicket(
        uuid.uuid4(),
        session_id,
        zone.id,
        zone.name,
        "Ana Núñez",
        ticketing_orders.TicketStatus.VALID,
        order_id=uuid.uuid4(),
    )
    claims = ticketing_orders.TicketClaims(
        ticket_id=ticket.id,
        session_id=session_id,
        zone_id=zone.id,
        valid_from=NOW - dt.timedelta(hours=1),
        valid_until=NOW + dt.timedelta(hours=5),
    )
    proof = ticketing_checkins.Proof(claims)
    made: list[ticketing_orders.DomainEvent] = []
    admission = None
    for minutes, kind, offline in (
        (0, "entry", False),
        (30, "exit", False),
        (60, "entry", True),
        (61, "entry", True),
    ):
        scan = ticketing_checkins.Scan(
            secret="x",
            session_id=session_id,
            device_id=f"door-{minutes}",
            nonce=f"n{minutes}",
            scanned_at=NOW + dt.timedelta(minutes=minutes),
            type=ticketing_checkins.ScanType(kind),
            offline=offline,
        )
        decision = ticketing_checkins.decide(scan, proof, ticket, admission, reentry_allowed=True)
        admission = decision.admission or admission
        message = ticketing_checkins.announced(
            decision, scan, ticket, event_id=event.id, event_name=event.name, now=scan.scanned_at
        )
        assert message is not None
        made.append(message)
    return made


def orders_of_a_sale(event: ticketing.CatalogEvent) -> list[ticketing_orders.DomainEvent]:
    """Every order message: placed, declined, paid with its tickets, refunded in part and in full
    (with a revoked ticket), and an order that expired unpaid."""
    session_id, zone = event.sessions[0].id, event.zones[0]

    def placed(quantity: int) -> ticketing_orders.Order:
        reservation = ticketing.Reservation.hold(
            event,
            session_id=session_id,
            items=[ticketing.ItemRequest(zone.id, quantity)],
            customer_id=uuid.uuid4(),
            now=NOW,
        )
        return ticketing_orders.Order.place(
            reservation,
            organization_id=event.organization_id,
            buyer=ticketing_orders.Buyer.checked("Ana Núñez", "ana@example.com", "es"),
            provider="stripe",
            now=NOW,
        )

    later = NOW + dt.timedelta(minutes=3)
    paid = placed(2)
    paid.started(ticketing_orders.Checkout("cs_test_1", "https://pay.example/cs_test_1"))
    paid.decline("card_declined", NOW + dt.timedelta(minutes=1))
    tickets = ticketing_orders.issue_tickets(
        paid,
        now=later,
        valid_from=later,
        valid_until=later + dt.timedelta(days=1),
        sign=lambda claims: f"secret-{claims.ticket_id}",
    )
    paid.pay(tickets, later)
    paid.refund_settled(
        tickets[0].price.amount, reason="requested_by_customer", now=later, ticket_ids=(tickets[0].id,)
    )
    # Before its refund, the second ticket was sent to someone else, who took it.
    transfer = ticketing_transfers.TicketTransfer.offer(
        tickets[1],
        sender=ticketing_transfers.Party("Ana Núñez", "ana@example.com", "es"),
        recipient_email="bruno@example.com",
        transfers_allowed=True,
        pending=None,
        token=ticketing_transfers.new_token(),
        now=later,
    )
    transfer.accept(
        tickets[1],
        recipient_id=uuid.uuid4(),
        recipient=ticketing_transfers.Party("Bruno Díaz", "bruno@example.com", "en"),
        transfers_allowed=True,
        valid_from=later,
        valid_until=later + dt.timedelta(days=1),
        position=2,
        sign=lambda claims: f"secret-{claims.ticket_id}",
        now=later,
    )
    paid.refund_settled(paid.refundable, reason="event_cancelled", now=later)
    unpaid = placed(1)
    unpaid.expire(NOW + dt.timedelta(minutes=10))
    return [*paid.events, *transfer.events, *unpaid.events]


def test_every_message_ticketing_svc_makes_matches_its_schema() -> None:
    messages = ticketing_messages_of_a_sale()
    assert {m.type for m in messages} == {
        "ReservationHeld",
        "ReservationReleased",
        "ReservationExpired",
        "ZoneSoldOut",
        "ZoneBackOnSale",
        "OrderPlaced",
        "OrderPaid",
        "OrderPaymentFailed",
        "OrderExpired",
        "OrderRefunded",
        "TicketTransferOffered",
        "TicketTransferred",
        "WaitlistOffered",
        "TicketCheckedIn",
        "WaitlistJoined",
        "WaitlistLeft",
    }
    for message in messages:
        TICKETING.validate(wire(message))
    admissions = [wire(m)["payload"]["admission"] for m in messages if m.type == "TicketCheckedIn"]
    assert [(a["direction"], a["doubleAdmission"]) for a in admissions] == [
        ("entry", False),
        ("exit", False),
        ("entry", False),
        ("entry", True),
    ]


def test_order_messages_say_what_the_buyers_emails_need_and_never_a_tickets_secret() -> None:
    messages = {m.type: wire(m) for m in ticketing_messages_of_a_sale()}
    paid = messages["OrderPaid"]["payload"]
    assert paid["order"]["status"] == "paid"
    assert paid["order"]["ticketIds"] == [t["id"] for t in paid["tickets"]]
    assert paid["order"]["buyer"] == {"name": "Ana Núñez", "email": "ana@example.com", "locale": "es"}
    assert "secret" not in json.dumps(messages)
    refunded = messages["OrderRefunded"]["payload"]  # the last one: the rest of the order
    assert refunded["order"]["status"] == "refunded"
    assert refunded["order"]["refunded"] == refunded["order"]["total"]
    assert messages["OrderPaymentFailed"]["payload"]["order"]["failureCode"] == "card_declined"


def test_the_ticketing_schema_refuses_what_a_consumer_could_not_read() -> None:
    good = {m.type: wire(m) for m in ticketing_messages_of_a_sale()}
    paid, refunded = good["OrderPaid"], good["OrderRefunded"]
    order = paid["payload"]["order"]
    ticket = paid["payload"]["tickets"][0]
    for broken in (
        {**paid, "payload": {"order": order}},
        {**paid, "payload": {**paid["payload"], "tickets": [{**ticket, "secret": "QR"}]}},
        {**paid, "payload": {**paid["payload"], "order": {**order, "status": "settled"}}},
        {
            **paid,
            "payload": {**paid["payload"], "order": {**order, "total": {"amount": "10", "currency": "EUR"}}},
        },
        {**refunded, "payload": {"order": refunded["payload"]["order"], "refund": {"reason": "x"}}},
        {**paid, "type": "OrderShipped"},
    ):
        with pytest.raises(ValidationError):
            TICKETING.validate(broken)


def test_the_catalog_follows_the_sold_out_transitions_ticketing_makes() -> None:
    followed = [
        sales_messages.command_for(Envelope.from_bytes(m.to_bytes())) for m in ticketing_messages_of_a_sale()
    ]
    assert [c.sold_out for c in followed if c is not None] == [True, False]


# ---------------------------------------------------------------- enums shared by protos, domains, the edge


def proto_values(enum_type: Any, prefix: str) -> set[str]:
    return {
        name.removeprefix(prefix).lower()
        for name in enum_type.keys()  # noqa: SIM118 (a protobuf EnumTypeWrapper, not a dict)
        if not name.endswith("UNSPECIFIED")
    }


def literal_values(literal: Any) -> set[str]:
    return set(typing.get_args(literal))


def domain_values(domain_enum: type[enum.StrEnum]) -> set[str]:
    return {member.value for member in domain_enum}


@pytest.mark.parametrize(
    ("name", "proto", "domain", "edge"),
    [
        (
            "event status",
            proto_values(events_pb.EventStatus, "EVENT_STATUS_"),
            domain_values(catalog.EventStatus),
            literal_values(edge_events.EventStatusName),
        ),
        (
            "session status",
            proto_values(events_pb.SessionStatus, "SESSION_STATUS_"),
            domain_values(catalog.SessionStatus),
            literal_values(edge_events.SessionStatusName),
        ),
        (
            "category",
            proto_values(events_pb.Category, "CATEGORY_"),
            domain_values(catalog.Category),
            literal_values(edge_events.CategoryName),
        ),
        (
            "reservation status",
            proto_values(ticketing_pb.ReservationStatus, "RESERVATION_STATUS_"),
            domain_values(ticketing.ReservationStatus),
            literal_values(edge_reservations.ReservationStatus),
        ),
        (
            "sale status",
            proto_values(ticketing_pb.SaleStatus, "SALE_STATUS_"),
            domain_values(ticketing.SaleStatus),
            literal_values(edge_reservations.SaleStatus),
        ),
        (
            "queue status",
            proto_values(ticketing_pb.QueueStatus, "QUEUE_STATUS_"),
            domain_values(QueueStatus),
            literal_values(edge_reservations.QueueStatus),
        ),
        (
            "report bucket",
            proto_values(ticketing_pb.ReportBucket, "REPORT_BUCKET_"),
            domain_values(ticketing_reports.Bucket),
            literal_values(edge_reports.ReportBucket),
        ),
    ],
)
def test_enum_values_agree_across_proto_domain_and_edge(
    name: str, proto: set[str], domain: set[str], edge: set[str]
) -> None:
    assert proto == domain == edge, name


def test_the_schemas_name_the_same_enum_values_as_the_domains() -> None:
    defs = json.loads((PROTOS / "events" / "v1" / "messages.schema.json").read_text())["$defs"]
    assert set(defs["EventStatus"]["enum"]) == domain_values(catalog.EventStatus)
    assert set(defs["SessionStatus"]["enum"]) == domain_values(catalog.SessionStatus)
    assert set(defs["Category"]["enum"]) == domain_values(catalog.Category)
    assert set(defs["SessionChanged"]["properties"]["change"]["enum"]) == domain_values(SessionChange)
    reservation = json.loads((PROTOS / "ticketing" / "v1" / "messages.schema.json").read_text())["$defs"][
        "Reservation"
    ]
    assert set(reservation["properties"]["status"]["enum"]) == domain_values(ticketing.ReservationStatus)
    ticketing_defs = json.loads((PROTOS / "ticketing" / "v1" / "messages.schema.json").read_text())["$defs"]
    assert set(ticketing_defs["OrderStatus"]["enum"]) == domain_values(ticketing_orders.OrderStatus)
    assert set(ticketing_defs["TicketStatus"]["enum"]) == domain_values(ticketing_orders.TicketStatus)
    assert tuple(ticketing_defs["Locale"]["enum"]) == ticketing_orders.LOCALES


def test_every_message_identity_svc_makes_matches_its_schema_and_names_no_address() -> None:
    user_id = uuid.uuid4()
    message = wire(identity_envelope(RegistrationAttempted(user_id, NOW), str(uuid.uuid4())))
    IDENTITY.validate(message)
    assert message["payload"] == {"user": {"id": str(user_id)}}
    assert message["eventId"] == str(user_id)
    assert "@" not in json.dumps(message)
