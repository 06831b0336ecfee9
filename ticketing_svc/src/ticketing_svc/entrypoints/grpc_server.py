"""gRPC servicer of taquilla.ticketing.v1.TicketingService: translates protobuf and back, nothing more.

Domain errors become gRPC status codes here, in :class:`ErrorsAsStatus`, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla.ticketing.v1 import ticketing_service_pb2_grpc
from taquilla_runtime import grpc_errors
from taquilla_runtime.correlation import get_correlation_id
from taquilla_runtime.grpc_errors import FieldError, NamedProblem, abort_with_field_errors, abort_with_problem
from taquilla_runtime.principal import InvalidPrincipal, Principal
from ticketing_svc.application.handlers import Availability, ReservationPage
from ticketing_svc.domain import commands
from ticketing_svc.domain.commands import Actor
from ticketing_svc.domain.errors import (
    AdmissionRequired,
    EventNotFound,
    IdempotencyKeyReused,
    InvalidInput,
    LimitReached,
    NotAllowed,
    NotOnSale,
    NoWaitingRoom,
    QueueEntryNotFound,
    ReservationNotFound,
    SessionNotFound,
    SoldOut,
    Unauthenticated,
    WaitingRoomUnavailable,
)
from ticketing_svc.domain.model import InventoryLine, Reservation
from ticketing_svc.domain.waiting_room import QueueStanding
from ticketing_svc.entrypoints import protobuf as convert

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["TicketingService"].full_name
DEFAULT_PAGE_SIZE = 20
Context = Any  # grpc.aio.ServicerContext (grpc ships no type information)


class ErrorsAsStatus(grpc_errors.ErrorsAsStatus):
    """The one mapping of ticketing's errors to gRPC status codes."""

    async def abort_for(self, context: Context, exc: BaseException) -> None:
        match exc:
            case InvalidInput(problems=problems, message=message):
                errors = [FieldError(problem.field, problem.message) for problem in problems]
                await abort_with_field_errors(context, errors, detail=message)
            case IdempotencyKeyReused():
                await abort_with_field_errors(
                    context, [FieldError("idempotency_key", str(exc))], detail=str(exc)
                )
            case SoldOut(left=left):
                zones = [{"zone_id": str(zone_id), "available": places} for zone_id, places in left.items()]
                await abort_with_problem(
                    context,
                    grpc.StatusCode.FAILED_PRECONDITION,
                    str(exc),
                    NamedProblem("sold-out", {"zones": zones}),
                )
            case NotOnSale():
                await abort_with_problem(
                    context, grpc.StatusCode.FAILED_PRECONDITION, str(exc), NamedProblem("not-on-sale", {})
                )
            case LimitReached(limit=limit, taken=taken):
                await abort_with_problem(
                    context,
                    grpc.StatusCode.FAILED_PRECONDITION,
                    str(exc),
                    NamedProblem("limit-reached", {"limit": limit, "taken": taken}),
                )
            case AdmissionRequired():
                await abort_with_problem(
                    context,
                    grpc.StatusCode.PERMISSION_DENIED,
                    str(exc),
                    NamedProblem("admission-required", {}),
                )
            case NoWaitingRoom():
                await abort_with_problem(
                    context,
                    grpc.StatusCode.FAILED_PRECONDITION,
                    str(exc),
                    NamedProblem("no-waiting-room", {}),
                )
            case WaitingRoomUnavailable():
                await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
            case EventNotFound() | SessionNotFound() | ReservationNotFound() | QueueEntryNotFound():
                await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
            case NotAllowed():
                await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(exc))
            case Unauthenticated() | InvalidPrincipal():
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))


def _actor(context: Context) -> Actor | None:
    return convert.actor_from(Principal.from_metadata(context.invocation_metadata()))


class TicketingServicer(ticketing_service_pb2_grpc.TicketingServiceServicer):
    """Each use case arrives bound to its unit of work, clock and other dependencies (bootstrap.py)."""

    def __init__(
        self,
        *,
        reserve: Callable[[commands.Reserve], Awaitable[Reservation]],
        get_reservation: Callable[[commands.GetReservation], Awaitable[Reservation]],
        list_reservations: Callable[[commands.ListReservations], Awaitable[ReservationPage]],
        release_reservation: Callable[[commands.ReleaseReservation], Awaitable[Reservation]],
        get_availability: Callable[[commands.GetAvailability], Awaitable[Availability]],
        count_taken: Callable[[commands.CountTaken], Awaitable[list[InventoryLine]]],
        join_queue: Callable[[commands.JoinQueue], Awaitable[QueueStanding]],
        queue_standing: Callable[[commands.GetQueueStanding], Awaitable[QueueStanding]],
    ) -> None:
        self._reserve = reserve
        self._get_reservation = get_reservation
        self._list_reservations = list_reservations
        self._release_reservation = release_reservation
        self._get_availability = get_availability
        self._count_taken = count_taken
        self._join_queue = join_queue
        self._queue_standing = queue_standing

    async def Reserve(self, request: pb.ReserveRequest, context: Context) -> pb.ReserveResponse:
        async with ErrorsAsStatus(context):
            command = commands.Reserve(
                actor=_actor(context),
                session_id=convert.session_id_of(request.session_id),
                items=convert.items_from(list(request.items)),
                correlation_id=get_correlation_id(),
                idempotency=convert.idempotency_from(request.idempotency_key, request.request_fingerprint),
                admission=request.admission[:2048] or None,
            )
            reservation = await self._reserve(command)
            return pb.ReserveResponse(reservation=convert.reservation_pb(reservation))

    async def GetReservation(
        self, request: pb.GetReservationRequest, context: Context
    ) -> pb.GetReservationResponse:
        async with ErrorsAsStatus(context):
            command = commands.GetReservation(_actor(context), convert.reservation_id_of(request.id))
            reservation = await self._get_reservation(command)
            return pb.GetReservationResponse(reservation=convert.reservation_pb(reservation))

    async def ListMyReservations(
        self, request: pb.ListMyReservationsRequest, context: Context
    ) -> pb.ListMyReservationsResponse:
        async with ErrorsAsStatus(context):
            command = commands.ListReservations(
                actor=_actor(context),
                limit=request.limit or DEFAULT_PAGE_SIZE,
                after=convert.page_after(request.cursor),
                statuses=convert.statuses_from(list(request.statuses)),
            )
            page = await self._list_reservations(command)
            return pb.ListMyReservationsResponse(
                reservations=[convert.reservation_pb(r) for r in page.reservations],
                next_cursor=convert.cursor_after(page.reservations[-1]) if page.has_more else "",
            )

    async def ReleaseReservation(
        self, request: pb.ReleaseReservationRequest, context: Context
    ) -> pb.ReleaseReservationResponse:
        async with ErrorsAsStatus(context):
            command = commands.ReleaseReservation(
                _actor(context), convert.reservation_id_of(request.id), correlation_id=get_correlation_id()
            )
            reservation = await self._release_reservation(command)
            return pb.ReleaseReservationResponse(reservation=convert.reservation_pb(reservation))

    async def GetAvailability(
        self, request: pb.GetAvailabilityRequest, context: Context
    ) -> pb.GetAvailabilityResponse:
        async with ErrorsAsStatus(context):
            availability = await self._get_availability(
                commands.GetAvailability(convert.event_id_of(request.event_id))
            )
            return convert.availability_pb(availability)

    async def CountTaken(self, request: pb.CountTakenRequest, context: Context) -> pb.CountTakenResponse:
        async with ErrorsAsStatus(context):
            lines = await self._count_taken(
                commands.CountTaken(_actor(context), convert.event_id_of(request.event_id))
            )
            return convert.taken_pb(lines)

    async def JoinQueue(self, request: pb.JoinQueueRequest, context: Context) -> pb.QueueStanding:
        async with ErrorsAsStatus(context):
            standing = await self._join_queue(
                commands.JoinQueue(_actor(context), convert.event_id_of(request.event_id))
            )
            return convert.standing_pb(standing)

    async def GetQueueStanding(
        self, request: pb.GetQueueStandingRequest, context: Context
    ) -> pb.QueueStanding:
        async with ErrorsAsStatus(context):
            standing = await self._queue_standing(
                commands.GetQueueStanding(_actor(context), convert.queue_id_of(request.queue_id))
            )
            return convert.standing_pb(standing)
