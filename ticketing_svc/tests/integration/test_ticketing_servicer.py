"""TicketingService over real gRPC (in-process server on port 0) and the real database: what callers
see, status codes and the trailers the edge reads (x-taquilla-problem, x-taquilla-field-errors)."""

import uuid
from collections.abc import AsyncIterator, Awaitable
from functools import partial
from typing import Any

import grpc
import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from ticketing_factories import catalog_message, make_event, make_zone

from devstack.testing import in_process_service
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla.ticketing.v1 import ticketing_service_pb2_grpc
from taquilla_runtime.correlation import GRPC_METADATA_KEY
from taquilla_runtime.cursors import encode_cursor
from taquilla_runtime.grpc_errors import field_errors_from_trailers, problem_from_trailers
from taquilla_runtime.principal import METADATA_KEY, Principal, PrincipalKind, Role
from ticketing_svc.adapters.orm import outbox
from ticketing_svc.bootstrap import UseCases, build_servicer
from ticketing_svc.domain.model import CatalogEvent, SaleSettings
from ticketing_svc.entrypoints.catalog_messages import command_for
from ticketing_svc.entrypoints.grpc_server import SERVICE_NAME

pytestmark = pytest.mark.asyncio(loop_scope="session")
Stub = ticketing_service_pb2_grpc.TicketingServiceStub


@pytest.fixture(scope="module")
def use_cases(ticketing_engine: AsyncEngine) -> UseCases:
    return UseCases(ticketing_engine, catalog=None)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def ticketing(use_cases: UseCases) -> AsyncIterator[Stub]:
    servicer = build_servicer(use_cases)
    async with (
        in_process_service(
            SERVICE_NAME, partial(ticketing_service_pb2_grpc.add_TicketingServiceServicer_to_server, servicer)
        ) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        yield Stub(channel)


def person() -> Principal:
    return Principal(subject=uuid.uuid4(), kind=PrincipalKind.USER, role=Role.CUSTOMER)


def signed(principal: Principal, *extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return (principal.to_metadata(), *extra)


async def on_sale(use_cases: UseCases, event: CatalogEvent) -> CatalogEvent:
    command = command_for(catalog_message(event))
    assert command is not None
    assert await use_cases.follow_catalog(command)
    return event


def reserve_request(event: CatalogEvent, *items: tuple[int, int], **fields: Any) -> pb.ReserveRequest:
    """(zone index, quantity) per item; one place of the first zone by default."""
    return pb.ReserveRequest(
        session_id=str(event.sessions[0].id),
        items=[pb.ItemRequest(zone_id=str(event.zones[z].id), quantity=q) for z, q in items or ((0, 1),)],
        **fields,
    )


async def refused(call: Awaitable[object]) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value


def problem(error: grpc.aio.AioRpcError) -> tuple[str, dict[str, object]] | None:
    found = problem_from_trailers(error.trailing_metadata())
    return (found.type, found.extensions) if found is not None else None


def fields(error: grpc.aio.AioRpcError) -> list[str]:
    return [e["field"] for e in field_errors_from_trailers(error.trailing_metadata())]


# ---------------------------------------------------------------- reserving


async def test_a_buyer_holds_reads_and_releases_a_reservation(use_cases: UseCases, ticketing: Stub) -> None:
    event = await on_sale(use_cases, make_event(zones=(make_zone(10, amount="30.00"),)))
    buyer = person()

    held = (await ticketing.Reserve(reserve_request(event, (0, 2)), metadata=signed(buyer))).reservation

    assert held.status == pb.RESERVATION_STATUS_HELD
    assert (held.event_id, held.session_id, held.event_name) == (
        str(event.id),
        str(event.sessions[0].id),
        event.name,
    )
    assert [(i.zone_id, i.zone_name, i.quantity, i.unit_price.amount) for i in held.items] == [
        (str(event.zones[0].id), "Pista", 2, "30.00")
    ]
    assert (held.total.amount, held.total.currency) == ("60.00", "EUR")
    assert held.expires_at.ToDatetime() > held.created_at.ToDatetime()
    assert not held.HasField("ended_at")

    read = await ticketing.GetReservation(pb.GetReservationRequest(id=held.id), metadata=signed(buyer))
    assert read.reservation == held

    released = await ticketing.ReleaseReservation(
        pb.ReleaseReservationRequest(id=held.id), metadata=signed(buyer)
    )
    assert released.reservation.status == pb.RESERVATION_STATUS_RELEASED
    assert released.reservation.HasField("ended_at")


async def test_the_callers_correlation_id_reaches_the_message(
    use_cases: UseCases, ticketing: Stub, ticketing_engine: AsyncEngine
) -> None:
    event = await on_sale(use_cases, make_event())
    correlation = str(uuid.uuid4())
    held = await ticketing.Reserve(
        reserve_request(event), metadata=signed(person(), (GRPC_METADATA_KEY, correlation))
    )
    async with ticketing_engine.connect() as connection:
        envelopes = (
            await connection.scalars(
                select(outbox.c.envelope).where(outbox.c.envelope["eventId"].astext == str(event.id))
            )
        ).all()
    assert [(e["type"], e["correlationId"]) for e in envelopes] == [("ReservationHeld", correlation)]
    assert envelopes[0]["payload"]["reservation"]["id"] == held.reservation.id


async def test_a_sold_out_zone_is_a_failed_precondition_naming_the_places_left(
    use_cases: UseCases, ticketing: Stub
) -> None:
    event = await on_sale(use_cases, make_event(zones=2, capacity=3))
    await ticketing.Reserve(reserve_request(event, (1, 2)), metadata=signed(person()))

    error = await refused(
        ticketing.Reserve(reserve_request(event, (0, 1), (1, 2)), metadata=signed(person()))
    )

    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert problem(error) == (
        "sold-out",
        {
            "zones": [
                {"zone_id": str(event.zones[0].id), "available": 3},
                {"zone_id": str(event.zones[1].id), "available": 1},
            ]
        },
    )
    await ticketing.Reserve(reserve_request(event, (0, 1), (1, 1)), metadata=signed(person()))


async def test_a_session_not_on_sale_is_a_failed_precondition(use_cases: UseCases, ticketing: Stub) -> None:
    event = await on_sale(use_cases, make_event(session_status="teaser"))
    error = await refused(ticketing.Reserve(reserve_request(event), metadata=signed(person())))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert problem(error) == ("not-on-sale", {})
    assert "teaser" in (error.details() or "")


async def test_passing_the_per_customer_limit_is_a_failed_precondition(
    use_cases: UseCases, ticketing: Stub
) -> None:
    event = await on_sale(use_cases, make_event(settings=SaleSettings(max_per_customer=3)))
    buyer = person()
    await ticketing.Reserve(reserve_request(event, (0, 2)), metadata=signed(buyer))
    error = await refused(ticketing.Reserve(reserve_request(event, (0, 2)), metadata=signed(buyer)))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert problem(error) == ("limit-reached", {"limit": 3, "taken": 2})


async def test_invalid_items_are_an_invalid_argument_listing_every_field(
    use_cases: UseCases, ticketing: Stub
) -> None:
    event = await on_sale(use_cases, make_event())
    zone_id = str(event.zones[0].id)
    request = pb.ReserveRequest(
        session_id=str(event.sessions[0].id),
        items=[
            pb.ItemRequest(zone_id="zone-1", quantity=1),
            pb.ItemRequest(zone_id=zone_id),
            pb.ItemRequest(zone_id=zone_id, quantity=2**31 - 1),
        ],
    )
    error = await refused(ticketing.Reserve(request, metadata=signed(person())))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field_errors_from_trailers(error.trailing_metadata()) == [
        {"field": "items.0.zone_id", "code": "invalid_uuid", "message": "must be a zone id (UUID)"},
        {"field": "items.1.quantity", "code": "out_of_range", "message": "must be from 1 to 1000"},
        {"field": "items.2.quantity", "code": "out_of_range", "message": "must be from 1 to 1000"},
    ]

    for request, expected in (
        (reserve_request(event, (0, 11)), ["items.0.quantity"]),  # above the zone's 10 per order
        (pb.ReserveRequest(session_id=str(event.sessions[0].id)), ["items"]),
    ):
        error = await refused(ticketing.Reserve(request, metadata=signed(person())))
        assert (error.code(), fields(error)) == (grpc.StatusCode.INVALID_ARGUMENT, expected)


async def test_an_idempotency_key_replays_and_refuses_another_request(
    use_cases: UseCases, ticketing: Stub
) -> None:
    event = await on_sale(use_cases, make_event(capacity=10))
    buyer = person()
    request = reserve_request(event, (0, 2), idempotency_key="key-1", request_fingerprint="a")
    first = await ticketing.Reserve(request, metadata=signed(buyer))
    again = await ticketing.Reserve(request, metadata=signed(buyer))
    assert again.reservation.id == first.reservation.id

    other = reserve_request(event, (0, 3), idempotency_key="key-1", request_fingerprint="b")
    error = await refused(ticketing.Reserve(other, metadata=signed(buyer)))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert fields(error) == ["idempotency_key"]

    too_long = reserve_request(event, idempotency_key="k" * 256, request_fingerprint="c")
    error = await refused(ticketing.Reserve(too_long, metadata=signed(buyer)))
    assert (error.code(), fields(error)) == (grpc.StatusCode.INVALID_ARGUMENT, ["idempotency_key"])


# ---------------------------------------------------------------- who may do what


async def test_unknown_and_malformed_ids_are_not_found(use_cases: UseCases, ticketing: Stub) -> None:
    event = await on_sale(use_cases, make_event())
    buyer = signed(person())
    calls = [
        ticketing.Reserve(pb.ReserveRequest(session_id="not-a-uuid", items=[]), metadata=buyer),
        ticketing.Reserve(
            pb.ReserveRequest(
                session_id=str(uuid.uuid4()),
                items=[pb.ItemRequest(zone_id=str(event.zones[0].id), quantity=1)],
            ),
            metadata=buyer,
        ),
        ticketing.GetReservation(pb.GetReservationRequest(id="42"), metadata=buyer),
        ticketing.GetReservation(pb.GetReservationRequest(id=str(uuid.uuid4())), metadata=buyer),
        ticketing.ReleaseReservation(pb.ReleaseReservationRequest(id=""), metadata=buyer),
        ticketing.GetAvailability(pb.GetAvailabilityRequest(event_id="x")),
        ticketing.GetAvailability(pb.GetAvailabilityRequest(event_id=str(uuid.uuid4()))),
    ]
    for call in calls:
        assert (await refused(call)).code() is grpc.StatusCode.NOT_FOUND


async def test_another_accounts_reservation_looks_like_no_reservation(
    use_cases: UseCases, ticketing: Stub
) -> None:
    event = await on_sale(use_cases, make_event())
    owner = person()
    held = (await ticketing.Reserve(reserve_request(event), metadata=signed(owner))).reservation
    stranger = signed(person())
    for call in (
        ticketing.GetReservation(pb.GetReservationRequest(id=held.id), metadata=stranger),
        ticketing.ReleaseReservation(pb.ReleaseReservationRequest(id=held.id), metadata=stranger),
    ):
        error = await refused(call)
        assert error.code() is grpc.StatusCode.NOT_FOUND
        assert error.details() == f"Reservation {held.id} not found."
    still = await ticketing.GetReservation(pb.GetReservationRequest(id=held.id), metadata=signed(owner))
    assert still.reservation.status == pb.RESERVATION_STATUS_HELD


async def test_reservations_need_a_signed_in_caller(use_cases: UseCases, ticketing: Stub) -> None:
    event = await on_sale(use_cases, make_event())
    for metadata in ((), ((METADATA_KEY, "{not json"),)):
        for call in (
            ticketing.Reserve(reserve_request(event), metadata=metadata),
            ticketing.GetReservation(pb.GetReservationRequest(id=str(uuid.uuid4())), metadata=metadata),
            ticketing.ListMyReservations(pb.ListMyReservationsRequest(), metadata=metadata),
            ticketing.ReleaseReservation(
                pb.ReleaseReservationRequest(id=str(uuid.uuid4())), metadata=metadata
            ),
        ):
            assert (await refused(call)).code() is grpc.StatusCode.UNAUTHENTICATED


async def test_a_partner_client_may_not_reserve(use_cases: UseCases, ticketing: Stub) -> None:
    event = await on_sale(use_cases, make_event())
    partner = Principal(subject=uuid.uuid4(), kind=PrincipalKind.CLIENT, scopes=frozenset({"events:read"}))
    error = await refused(ticketing.Reserve(reserve_request(event), metadata=signed(partner)))
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_only_services_count_taken_places(use_cases: UseCases, ticketing: Stub) -> None:
    event = await on_sale(use_cases, make_event(zones=2))
    await ticketing.Reserve(reserve_request(event, (1, 3)), metadata=signed(person()))
    request = pb.CountTakenRequest(event_id=str(event.id))
    error = await refused(ticketing.CountTaken(request, metadata=signed(person())))
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    counted = await ticketing.CountTaken(request, metadata=signed(Principal.for_service("event_svc")))
    assert {p.zone_id: p.held for p in counted.places} == {
        str(event.zones[0].id): 0,
        str(event.zones[1].id): 3,
    }


# ---------------------------------------------------------------- listing and availability


async def test_a_buyer_pages_through_their_reservations_with_cursors(
    use_cases: UseCases, ticketing: Stub
) -> None:
    event = await on_sale(use_cases, make_event())
    buyer = signed(person())
    made = [
        (await ticketing.Reserve(reserve_request(event), metadata=buyer)).reservation.id for _ in range(5)
    ]
    await ticketing.Reserve(reserve_request(event), metadata=signed(person()))

    seen: list[str] = []
    cursor = ""
    for _ in range(5):
        page = await ticketing.ListMyReservations(
            pb.ListMyReservationsRequest(limit=2, cursor=cursor), metadata=buyer
        )
        assert len(page.reservations) <= 2
        seen += [r.id for r in page.reservations]
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == list(reversed(made))

    await ticketing.ReleaseReservation(pb.ReleaseReservationRequest(id=made[1]), metadata=buyer)
    released = await ticketing.ListMyReservations(
        pb.ListMyReservationsRequest(statuses=[pb.RESERVATION_STATUS_RELEASED]), metadata=buyer
    )
    assert [r.id for r in released.reservations] == [made[1]]
    assert released.next_cursor == ""


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        encode_cursor(["2027-03-01T18:00:00+00:00"]),
        encode_cursor(["yesterday", str(uuid.uuid4())]),
        encode_cursor(["2027-03-01T18:00:00+00:00", "not-a-uuid"]),
        "x" * 600,
    ],
)
async def test_a_cursor_not_made_by_the_listing_is_an_invalid_argument(
    use_cases: UseCases, ticketing: Stub, cursor: str
) -> None:
    error = await refused(
        ticketing.ListMyReservations(pb.ListMyReservationsRequest(cursor=cursor), metadata=signed(person()))
    )
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert fields(error) == ["cursor"]


async def test_an_unknown_status_filter_is_an_invalid_argument(ticketing: Stub) -> None:
    request = pb.ListMyReservationsRequest(statuses=[pb.RESERVATION_STATUS_UNSPECIFIED])
    error = await refused(ticketing.ListMyReservations(request, metadata=signed(person())))
    assert (error.code(), fields(error)) == (grpc.StatusCode.INVALID_ARGUMENT, ["statuses"])


async def test_availability_is_public_and_tells_each_zones_status(
    use_cases: UseCases, ticketing: Stub
) -> None:
    event = await on_sale(use_cases, make_event(zones=3, capacity=10))
    await ticketing.Reserve(reserve_request(event, (0, 10)), metadata=signed(person()))
    await ticketing.Reserve(reserve_request(event, (1, 9)), metadata=signed(person()))

    availability = await ticketing.GetAvailability(pb.GetAvailabilityRequest(event_id=str(event.id)))

    assert availability.event_id == str(event.id)
    assert {z.zone_id: (z.capacity, z.available, z.status) for z in availability.zones} == {
        str(event.zones[0].id): (10, 0, pb.SALE_STATUS_SOLD_OUT),
        str(event.zones[1].id): (10, 1, pb.SALE_STATUS_FEW_LEFT),
        str(event.zones[2].id): (10, 10, pb.SALE_STATUS_ON_SALE),
    }
    assert not availability.HasField("on_sale_at")
    draft = await on_sale(use_cases, make_event(status="draft"))
    closed = await ticketing.GetAvailability(pb.GetAvailabilityRequest(event_id=str(draft.id)))
    assert [(z.available, z.status) for z in closed.zones] == [(0, pb.SALE_STATUS_NOT_ON_SALE)]

    both = await ticketing.GetEventsAvailability(
        pb.GetEventsAvailabilityRequest(event_ids=[str(draft.id), str(uuid.uuid4()), str(event.id)])
    )
    assert [answer.event_id for answer in both.events] == [str(draft.id), str(event.id)]
    assert both.events[1].zones == availability.zones
