"""Reservations (holds) and places left, over REST: routes translate, ticketing_svc decides.

* A reservation holds places of one session for the signed-in account for a few minutes (the
  event's hold time), all items or none. ``POST`` accepts ``Idempotency-Key``: a retry with the same
  key returns the reservation the first request made.
* Refusals are problem+json with their own ``type``: ``…/sold-out`` (409, with ``zones``: the places
  left in each zone asked for), ``…/not-on-sale`` (409), ``…/limit-reached`` (409, the event's limit
  per customer, with ``limit`` and ``taken``); invalid fields 422.
* Someone else's reservation is 404, exactly like one that does not exist.
* Availability is for everyone, at most 2 s old, with an ETag for cheap polling (``304``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Header, Path, Query, Response, status

from edge.api.deps import RunningIdempotencyKeys, State, Ticketing, TicketReader, TicketWriter
from edge.api.etags import JSON, IfNoneMatch, body_etag, matches
from edge.api.headers import IDEMPOTENCY_DESCRIPTION, KEY_IN_USE, LOCATION_HEADER, IdempotencyKey
from edge.api.problems import UNAUTHENTICATED, Responses, problem
from edge.api.schemas.reservations import (
    RESERVATION_EXAMPLES,
    AvailabilityPublic,
    QueueStandingPublic,
    ReservationCreate,
    ReservationPage,
    ReservationPublic,
)

router = APIRouter(tags=["reservations"])

ReservationId = Annotated[str, Path(max_length=64, description="Reservation id (UUID)")]
EventId = Annotated[str, Path(max_length=64, description="Event id (UUID)")]
NOT_FOUND: Responses = {404: problem("No such reservation, or another account's")}
REFUSED: Responses = {
    409: problem(
        "Refused: `…/sold-out` (not enough places; `zones` lists the places left per zone asked for), "
        "`…/not-on-sale` (draft, cancelled, session not on sale, or before the on-sale time), "
        "`…/limit-reached` (over the event's limit per customer; `limit` and `taken`)"
    ),
    422: problem("Invalid fields (listed in `errors`), e.g. more places than the zone allows per order"),
}


def reservation_location(reservation_id: str) -> str:
    return f"/api/v1/reservations/{reservation_id}"


@router.post(
    "/api/v1/reservations",
    status_code=status.HTTP_201_CREATED,
    response_model=ReservationPublic,
    summary="Hold places of one session",
    description="Holds places of one session for you, all items or none, until `expires_at`. "
    + IDEMPOTENCY_DESCRIPTION,
    responses={
        201: {"description": "Held", "headers": LOCATION_HEADER},
        **UNAUTHENTICATED,
        403: problem(
            "`…/admission-required`: the event has a waiting room and the `Admission` header is missing, "
            "expired or someone else's; or a partner API client (only people's accounts reserve)"
        ),
        404: problem("No such session, or one that is not published"),
        **REFUSED,
        409: problem(f"{REFUSED[409]['description']}, {KEY_IN_USE}"),
    },
)
async def create_reservation(
    response: Response,
    principal: TicketWriter,
    ticketing: Ticketing,
    running: RunningIdempotencyKeys,
    body: Annotated[ReservationCreate, Body(openapi_examples=RESERVATION_EXAMPLES)],
    idempotency_key: IdempotencyKey = None,
    admission: Annotated[
        str | None,
        Header(
            alias="Admission",
            max_length=2048,
            description="Events with a waiting room: the `admission` of your queue entry once admitted.",
        ),
    ] = None,
) -> ReservationPublic:
    async with running.running(principal, "reserve", idempotency_key):
        reservation = await ticketing.reserve(
            principal,
            body.session_id,
            [(item.zone_id, item.quantity) for item in body.items],
            idempotency_key=idempotency_key,
            fingerprint=body.fingerprint(),
            admission=admission,
        )
    response.headers["Location"] = reservation_location(reservation.id)
    return ReservationPublic.from_pb(reservation)


@router.get(
    "/api/v1/reservations/{reservation_id}",
    response_model=ReservationPublic,
    summary="One of my reservations",
    responses={**UNAUTHENTICATED, **NOT_FOUND},
)
async def get_reservation(
    reservation_id: ReservationId, principal: TicketReader, ticketing: Ticketing
) -> ReservationPublic:
    return ReservationPublic.from_pb(await ticketing.get_reservation(principal, reservation_id))


@router.delete(
    "/api/v1/reservations/{reservation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Release one of my reservations at once",
    description="Its places are on sale again at once. Releasing a reservation that already ended "
    "(released or expired) changes nothing.",
    responses={**UNAUTHENTICATED, **NOT_FOUND},
)
async def release_reservation(
    reservation_id: ReservationId, principal: TicketWriter, ticketing: Ticketing
) -> Response:
    await ticketing.release_reservation(principal, reservation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/api/v1/me/reservations",
    response_model=ReservationPage,
    summary="My reservations, newest first",
    responses={**UNAUTHENTICATED, 422: problem("Invalid `status`, `limit` or `cursor`")},
)
async def my_reservations(
    principal: TicketReader,
    ticketing: Ticketing,
    status_: Annotated[
        list[Literal["held", "released", "expired", "purchased"]] | None,
        Query(alias="status", max_length=4, description="Only these states (repeatable)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str, Query(max_length=512, description="`next_cursor` of the previous page")] = "",
) -> ReservationPage:
    reply = await ticketing.list_reservations(principal, statuses=status_ or [], limit=limit, cursor=cursor)
    return ReservationPage(
        items=[ReservationPublic.from_pb(r) for r in reply.reservations],
        next_cursor=reply.next_cursor or None,
    )


@router.get(
    "/api/v1/events/{event_id}/availability",
    response_model=AvailabilityPublic,
    summary="Places left per session and zone",
    description="For everyone. `status` is `on_sale`, `few_left` (at most 10 % left), `sold_out` or "
    "`not_on_sale`. At most 2 s old; send `If-None-Match` with the last `ETag` to poll cheaply (304).",
    responses={
        200: {"headers": {"ETag": {"description": "Names this answer", "schema": {"type": "string"}}}},
        304: {"description": "Unchanged since the ETag you sent"},
        404: problem("No such event, or one that was never published"),
    },
)
async def availability(event_id: EventId, state: State, if_none_match: IfNoneMatch = None) -> Response:
    async def build() -> tuple[str, bytes]:
        public = AvailabilityPublic.from_pb(await state.ticketing.availability(event_id))
        # The ETag names the figures, not the moment they were read: polls answer 304 until a
        # place is taken or given back.
        tag = body_etag(public.model_dump_json(exclude={"as_of"}).encode())
        return tag, public.model_dump_json().encode()

    tag, body = await state.availability.get(event_id, build)
    headers = {"ETag": tag, "Cache-Control": "public, max-age=1"}
    if matches(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=JSON, headers=headers)


QueueId = Annotated[str, Path(max_length=64, description="Queue entry id (UUID)")]


@router.post(
    "/api/v1/events/{event_id}/queue",
    response_model=QueueStandingPublic,
    summary="Join an on-sale waiting room",
    description="For events with a waiting room, from 30 minutes before the on-sale. Calling again returns "
    "the same entry. Those who join before the on-sale are put in a random order at the on-sale; later "
    "arrivals queue first come, first served. Poll `GET /api/v1/queue/{queue_id}` for your turn.",
    responses={
        **UNAUTHENTICATED,
        404: problem("No such event"),
        409: problem("`…/no-waiting-room`: the event has none, or it is not open yet"),
        503: problem("The waiting room cannot be reached: nobody is let in meanwhile; try again"),
    },
)
async def join_queue(event_id: EventId, principal: TicketWriter, ticketing: Ticketing) -> QueueStandingPublic:
    return QueueStandingPublic.from_pb(await ticketing.join_queue(principal, event_id))


@router.get(
    "/api/v1/queue/{queue_id}",
    response_model=QueueStandingPublic,
    summary="Where I stand in a waiting room",
    description="Your position and estimated wait; once it is your turn, `status: admitted` with an "
    "`admission` to send as the `Admission` header when reserving (valid 10 minutes, renewed by polling).",
    responses={
        **UNAUTHENTICATED,
        404: problem("No such entry, or someone else's"),
        503: problem("Try again"),
    },
)
async def queue_standing(
    queue_id: QueueId, principal: TicketReader, ticketing: Ticketing
) -> QueueStandingPublic:
    return QueueStandingPublic.from_pb(await ticketing.queue_standing(principal, queue_id))
