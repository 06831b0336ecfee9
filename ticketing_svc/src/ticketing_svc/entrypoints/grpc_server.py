"""gRPC servicer of taquilla.ticketing.v1.TicketingService: translates protobuf and back, nothing more.

Domain errors become gRPC status codes here, in :class:`ErrorsAsStatus`, and nowhere else.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from prometheus_client import Counter

from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla.ticketing.v1 import ticketing_service_pb2_grpc
from taquilla_runtime import grpc_errors, scopes
from taquilla_runtime.correlation import get_correlation_id
from taquilla_runtime.grpc_errors import FieldError, NamedProblem, abort_with_field_errors, abort_with_problem
from taquilla_runtime.principal import InvalidPrincipal, Principal
from taquilla_runtime.scopes import ScopePolicy
from ticketing_svc.application.checkin_handlers import BatchOutcome, CheckInOutcome, CheckInPack
from ticketing_svc.application.handlers import Availability, ReservationPage
from ticketing_svc.application.order_handlers import NoticeOutcome, OrderPage, TicketPage
from ticketing_svc.application.transfer_handlers import TransferView
from ticketing_svc.application.waitlist_handlers import WaitlistLengths
from ticketing_svc.domain import commands
from ticketing_svc.domain.checkins import CheckInAnswer, CheckInConflict
from ticketing_svc.domain.commands import Actor
from ticketing_svc.domain.errors import (
    AdmissionRequired,
    EventNotFound,
    IdempotencyKeyReused,
    InvalidInput,
    LimitReached,
    NotAllowed,
    NotCancelled,
    NotOnSale,
    NotPaid,
    NotRefundable,
    NotTheRecipient,
    NoWaitingRoom,
    OrderExists,
    OrderNotFound,
    PaymentProviderUnavailable,
    QueueEntryNotFound,
    ReservationNotFound,
    ReservationNotHeld,
    SessionNotFound,
    SoldOut,
    TicketNotFound,
    TicketNotTransferable,
    TicketRevoked,
    TransferClosed,
    TransferNotFound,
    Unauthenticated,
    WaitingRoomUnavailable,
    WaitlistEntryNotFound,
    ZoneNotSoldOut,
)
from ticketing_svc.domain.model import InventoryLine, Reservation
from ticketing_svc.domain.orders import CancellationProgress, Order, Refund, Ticket
from ticketing_svc.domain.reports import AttendeePage, Report
from ticketing_svc.domain.waiting_room import QueueStanding
from ticketing_svc.domain.waitlist import WaitlistStanding
from ticketing_svc.entrypoints import protobuf as convert

CHECKINS = Counter(
    "taquilla_ticketing_checkins_total",
    "Scans recorded at the doors (retries not counted), by result.",
    ["result"],
)
CHECKIN_CONFLICTS = Counter(
    "taquilla_ticketing_checkin_conflicts_total",
    "Tickets admitted while already inside, at doors that were offline (double admissions).",
)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["TicketingService"].full_name
# The scope each RPC needs of a user's or API client's token (taquilla_runtime.scopes). CountTaken and
# HandlePaymentNotice are for services only (event_svc; the edge as itself): not listed.
SCOPES: ScopePolicy = {
    **dict.fromkeys(("GetAvailability", "GetEventsAvailability", "GetTicketSigningKeys"), scopes.PUBLIC),
    **dict.fromkeys(
        (
            "GetReservation",
            "ListMyReservations",
            "GetQueueStanding",
            "GetOrder",
            "ListMyOrders",
            "ListEventOrders",
            "ListMyTickets",
            "GetEventRefunds",
            "GetTicket",
            "GetTicketQrCode",
            "GetOrderTicketsPdf",
            "GetTicketTransfer",
            "ListMyWaitlist",
            "GetWaitlistLengths",
            "ListCheckInConflicts",
            "GetEventReport",
            "GetOrganizationReport",
            "ListEventAttendees",
        ),
        scopes.TICKETS_READ,
    ),
    **dict.fromkeys(
        (
            "Reserve",
            "ReleaseReservation",
            "JoinQueue",
            "CreateOrder",
            "RefundOrder",
            "OfferTicketTransfer",
            "AcceptTicketTransfer",
            "CancelTicketTransfer",
            "JoinWaitlist",
            "LeaveWaitlist",
        ),
        scopes.TICKETS_WRITE,
    ),
    **dict.fromkeys(("CheckIn", "CheckInBatch", "GetCheckInPack"), scopes.CHECKIN),
}
DEFAULT_PAGE_SIZE = 20
Context = Any  # grpc.aio.ServicerContext (grpc ships no type information)


class ErrorsAsStatus(grpc_errors.ErrorsAsStatus):
    """The one mapping of ticketing's errors to gRPC status codes."""

    async def abort_for(self, context: Context, exc: BaseException) -> None:  # noqa: PLR0912 - one case per error, in one place
        match exc:
            case InvalidInput(problems=problems, message=message):
                errors = [FieldError(problem.field, problem.message, problem.code) for problem in problems]
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
            case ReservationNotHeld():
                await abort_with_problem(
                    context,
                    grpc.StatusCode.FAILED_PRECONDITION,
                    str(exc),
                    NamedProblem("reservation-not-held", {}),
                )
            case OrderExists(order_id=order_id):
                await abort_with_problem(
                    context,
                    grpc.StatusCode.FAILED_PRECONDITION,
                    str(exc),
                    NamedProblem("order-exists", {"order_id": str(order_id)}),
                )
            case NotRefundable(refundable=refundable, currency=currency):
                await abort_with_problem(
                    context,
                    grpc.StatusCode.FAILED_PRECONDITION,
                    str(exc),
                    NamedProblem(
                        "not-refundable", {"refundable": {"amount": refundable, "currency": currency}}
                    ),
                )
            case NotCancelled():
                await abort_with_problem(
                    context, grpc.StatusCode.FAILED_PRECONDITION, str(exc), NamedProblem("not-cancelled", {})
                )
            case TicketNotTransferable(reason=reason, transfer_id=transfer_id):
                extensions: dict[str, object] = {"transfer_id": str(transfer_id)} if transfer_id else {}
                await abort_with_problem(
                    context, grpc.StatusCode.FAILED_PRECONDITION, str(exc), NamedProblem(reason, extensions)
                )
            case TransferClosed(status=transfer_status):
                await abort_with_problem(
                    context,
                    grpc.StatusCode.FAILED_PRECONDITION,
                    str(exc),
                    NamedProblem("transfer-closed", {"status": transfer_status}),
                )
            case NotTheRecipient():
                await abort_with_problem(
                    context,
                    grpc.StatusCode.PERMISSION_DENIED,
                    str(exc),
                    NamedProblem("not-the-recipient", {}),
                )
            case ZoneNotSoldOut(available=available):
                await abort_with_problem(
                    context,
                    grpc.StatusCode.FAILED_PRECONDITION,
                    str(exc),
                    NamedProblem("zone-not-sold-out", {"available": available}),
                )
            case NotPaid():
                await abort_with_problem(
                    context, grpc.StatusCode.FAILED_PRECONDITION, str(exc), NamedProblem("not-paid", {})
                )
            case TicketRevoked():
                await abort_with_problem(
                    context, grpc.StatusCode.FAILED_PRECONDITION, str(exc), NamedProblem("ticket-revoked", {})
                )
            case WaitingRoomUnavailable() | PaymentProviderUnavailable():
                await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
            case (
                EventNotFound()
                | SessionNotFound()
                | ReservationNotFound()
                | QueueEntryNotFound()
                | OrderNotFound()
                | TicketNotFound()
                | TransferNotFound()
                | WaitlistEntryNotFound()
            ):
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
        get_events_availability: Callable[[commands.GetEventsAvailability], Awaitable[list[Availability]]],
        count_taken: Callable[[commands.CountTaken], Awaitable[list[InventoryLine]]],
        join_queue: Callable[[commands.JoinQueue], Awaitable[QueueStanding]],
        queue_standing: Callable[[commands.GetQueueStanding], Awaitable[QueueStanding]],
        create_order: Callable[[commands.CreateOrder], Awaitable[Order]],
        get_order: Callable[[commands.GetOrder], Awaitable[Order]],
        list_my_orders: Callable[[commands.ListMyOrders], Awaitable[OrderPage]],
        list_event_orders: Callable[[commands.ListEventOrders], Awaitable[OrderPage]],
        handle_payment_notice: Callable[[commands.HandlePaymentNotice], Awaitable[NoticeOutcome]],
        refund_order: Callable[[commands.RefundOrder], Awaitable[tuple[Refund, Order]]],
        event_refunds: Callable[[commands.GetEventRefunds], Awaitable[CancellationProgress]],
        list_my_tickets: Callable[[commands.ListMyTickets], Awaitable[TicketPage]],
        get_ticket: Callable[[commands.GetTicket], Awaitable[Ticket]],
        ticket_qr_svg: Callable[[commands.GetTicket], Awaitable[str]],
        order_tickets_pdf: Callable[[commands.GetOrder], Awaitable[tuple[Order, bytes]]],
        signing_keys: Callable[[], list[dict[str, str]]],
        check_in: Callable[[commands.CheckIn], Awaitable[CheckInOutcome]],
        check_in_batch: Callable[[commands.CheckInBatch], Awaitable[BatchOutcome]],
        checkin_pack: Callable[[commands.GetCheckInPack], Awaitable[CheckInPack]],
        checkin_conflicts: Callable[[commands.ListCheckInConflicts], Awaitable[list[CheckInConflict]]],
        offer_transfer: Callable[[commands.OfferTransfer], Awaitable[TransferView]],
        get_transfer: Callable[[commands.GetTransfer], Awaitable[TransferView]],
        accept_transfer: Callable[[commands.AcceptTransfer], Awaitable[TransferView]],
        cancel_transfer: Callable[[commands.CancelTransfer], Awaitable[TransferView]],
        join_waitlist: Callable[[commands.JoinWaitlist], Awaitable[WaitlistStanding]],
        list_my_waitlist: Callable[[commands.ListMyWaitlist], Awaitable[list[WaitlistStanding]]],
        leave_waitlist: Callable[[commands.LeaveWaitlist], Awaitable[WaitlistStanding]],
        waitlist_lengths: Callable[[commands.GetWaitlistLengths], Awaitable[WaitlistLengths]],
        event_report: Callable[[commands.GetEventReport], Awaitable[Report]],
        organization_report: Callable[[commands.GetOrganizationReport], Awaitable[Report]],
        list_event_attendees: Callable[[commands.ListEventAttendees], Awaitable[AttendeePage]],
    ) -> None:
        self._reserve = reserve
        self._get_reservation = get_reservation
        self._list_reservations = list_reservations
        self._release_reservation = release_reservation
        self._get_availability = get_availability
        self._get_events_availability = get_events_availability
        self._count_taken = count_taken
        self._join_queue = join_queue
        self._queue_standing = queue_standing
        self._create_order = create_order
        self._get_order = get_order
        self._list_my_orders = list_my_orders
        self._list_event_orders = list_event_orders
        self._handle_payment_notice = handle_payment_notice
        self._refund_order = refund_order
        self._event_refunds = event_refunds
        self._list_my_tickets = list_my_tickets
        self._get_ticket = get_ticket
        self._ticket_qr_svg = ticket_qr_svg
        self._order_tickets_pdf = order_tickets_pdf
        self._signing_keys = signing_keys
        self._check_in = check_in
        self._check_in_batch = check_in_batch
        self._checkin_pack = checkin_pack
        self._checkin_conflicts = checkin_conflicts
        self._offer_transfer = offer_transfer
        self._get_transfer = get_transfer
        self._accept_transfer = accept_transfer
        self._cancel_transfer = cancel_transfer
        self._join_waitlist = join_waitlist
        self._list_my_waitlist = list_my_waitlist
        self._leave_waitlist = leave_waitlist
        self._waitlist_lengths = waitlist_lengths
        self._event_report = event_report
        self._organization_report = organization_report
        self._list_event_attendees = list_event_attendees

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

    async def GetEventsAvailability(
        self, request: pb.GetEventsAvailabilityRequest, context: Context
    ) -> pb.GetEventsAvailabilityResponse:
        async with ErrorsAsStatus(context):
            found = await self._get_events_availability(
                commands.GetEventsAvailability(tuple(request.event_ids))
            )
            return pb.GetEventsAvailabilityResponse(events=[convert.availability_pb(a) for a in found])

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

    async def CreateOrder(self, request: pb.CreateOrderRequest, context: Context) -> pb.OrderResponse:
        async with ErrorsAsStatus(context):
            command = commands.CreateOrder(
                actor=_actor(context),
                reservation_id=convert.reservation_id_of(request.reservation_id),
                buyer_name=request.buyer.name[:1000],
                buyer_email=request.buyer.email[:1000],
                buyer_locale=request.buyer.locale[:16] or None,
                return_url=request.return_url[:4000] or None,
                correlation_id=get_correlation_id(),
                idempotency=convert.idempotency_from(request.idempotency_key, request.request_fingerprint),
            )
            return pb.OrderResponse(order=convert.order_pb(await self._create_order(command)))

    async def GetOrder(self, request: pb.GetOrderRequest, context: Context) -> pb.OrderResponse:
        async with ErrorsAsStatus(context):
            command = commands.GetOrder(_actor(context), convert.order_id_of(request.id))
            return pb.OrderResponse(order=convert.order_pb(await self._get_order(command)))

    async def ListMyOrders(self, request: pb.ListMyOrdersRequest, context: Context) -> pb.ListOrdersResponse:
        async with ErrorsAsStatus(context):
            page = await self._list_my_orders(
                commands.ListMyOrders(
                    actor=_actor(context),
                    limit=request.limit or DEFAULT_PAGE_SIZE,
                    after=convert.page_after(request.cursor),
                    statuses=convert.order_statuses_from(list(request.statuses)),
                )
            )
            return _orders_page(page)

    async def ListEventOrders(
        self, request: pb.ListEventOrdersRequest, context: Context
    ) -> pb.ListOrdersResponse:
        async with ErrorsAsStatus(context):
            page = await self._list_event_orders(
                commands.ListEventOrders(
                    actor=_actor(context),
                    event_id=convert.event_id_of(request.event_id),
                    query=request.query[: convert.QUERY_MAX] or None,
                    statuses=convert.order_statuses_from(list(request.statuses)),
                    limit=request.limit or DEFAULT_PAGE_SIZE,
                    after=convert.page_after(request.cursor),
                    count=request.count,
                )
            )
            return _orders_page(page)

    async def HandlePaymentNotice(
        self, request: pb.PaymentNotice, context: Context
    ) -> pb.PaymentNoticeResult:
        async with ErrorsAsStatus(context):
            if not request.notice_id or len(request.notice_id) > 255:
                raise InvalidInput.single("notice_id", "must be the provider's id of the notification")
            order_id = convert.order_id_or_none(request.order_id)
            outcome = await self._handle_payment_notice(
                commands.HandlePaymentNotice(
                    actor=_actor(context),
                    provider=request.provider[:32],
                    notice_id=request.notice_id,
                    notice_type=request.notice_type[:100],
                    object_id=request.object_id[:255],
                    order_id=order_id,
                    correlation_id=get_correlation_id(),
                )
            )
            result = pb.PaymentNoticeResult(duplicate=outcome.duplicate)
            if outcome.order is not None:
                result.order_id = str(outcome.order.id)
                result.status = convert.ORDER_STATUS[outcome.order.status]
            return result

    async def RefundOrder(self, request: pb.RefundOrderRequest, context: Context) -> pb.RefundOrderResponse:
        async with ErrorsAsStatus(context):
            refund, order = await self._refund_order(
                commands.RefundOrder(
                    actor=_actor(context),
                    order_id=convert.order_id_of(request.order_id),
                    ticket_ids=convert.ticket_ids_from(list(request.ticket_ids)),
                    amount=request.amount.amount[:32] if request.HasField("amount") else None,
                    currency=request.amount.currency[:3] if request.HasField("amount") else None,
                    reason=request.reason[:500],
                    idempotency=convert.idempotency_from(
                        request.idempotency_key, request.request_fingerprint
                    ),
                    correlation_id=get_correlation_id(),
                )
            )
            return pb.RefundOrderResponse(refund=convert.refund_pb(refund), order=convert.order_pb(order))

    async def GetEventRefunds(self, request: pb.GetEventRefundsRequest, context: Context) -> pb.EventRefunds:
        async with ErrorsAsStatus(context):
            progress = await self._event_refunds(
                commands.GetEventRefunds(_actor(context), convert.event_id_of(request.event_id))
            )
            return convert.event_refunds_pb(progress)

    async def ListMyTickets(
        self, request: pb.ListMyTicketsRequest, context: Context
    ) -> pb.ListTicketsResponse:
        async with ErrorsAsStatus(context):
            page = await self._list_my_tickets(
                commands.ListMyTickets(
                    actor=_actor(context),
                    limit=request.limit or DEFAULT_PAGE_SIZE,
                    after=convert.page_after(request.cursor),
                )
            )
            return pb.ListTicketsResponse(
                tickets=[convert.ticket_pb(t) for t in page.tickets],
                next_cursor=convert.ticket_cursor_after(page.tickets[-1]) if page.has_more else "",
            )

    async def GetTicket(self, request: pb.GetTicketRequest, context: Context) -> pb.TicketResponse:
        async with ErrorsAsStatus(context):
            command = commands.GetTicket(_actor(context), convert.ticket_id_of(request.id))
            return pb.TicketResponse(ticket=convert.ticket_pb(await self._get_ticket(command)))

    async def GetTicketQrCode(self, request: pb.GetTicketRequest, context: Context) -> pb.Document:
        async with ErrorsAsStatus(context):
            ticket_id = convert.ticket_id_of(request.id)
            svg = await self._ticket_qr_svg(commands.GetTicket(_actor(context), ticket_id))
            return pb.Document(
                content_type="image/svg+xml",
                content=svg.encode(),
                filename=f"taquilla-ticket-{ticket_id}.svg",
            )

    async def GetOrderTicketsPdf(self, request: pb.GetOrderRequest, context: Context) -> pb.Document:
        async with ErrorsAsStatus(context):
            order, pdf = await self._order_tickets_pdf(
                commands.GetOrder(_actor(context), convert.order_id_of(request.id))
            )
            return pb.Document(
                content_type="application/pdf", content=pdf, filename=f"taquilla-order-{order.id}.pdf"
            )

    async def GetTicketSigningKeys(
        self, request: pb.GetTicketSigningKeysRequest, context: Context
    ) -> pb.TicketSigningKeys:
        async with ErrorsAsStatus(context):
            return pb.TicketSigningKeys(
                keys=[
                    pb.SigningKey(
                        kid=key["kid"],
                        kty=key["kty"],
                        crv=key["crv"],
                        x=key["x"],
                        alg=key["alg"],
                        use=key["use"],
                    )
                    for key in self._signing_keys()
                ]
            )

    async def OfferTicketTransfer(
        self, request: pb.OfferTicketTransferRequest, context: Context
    ) -> pb.TicketTransferResponse:
        async with ErrorsAsStatus(context):
            view = await self._offer_transfer(
                commands.OfferTransfer(
                    actor=_actor(context),
                    ticket_id=convert.ticket_id_of(request.ticket_id),
                    email=request.email[: convert.EMAIL_MAX],
                    sender_name=request.sender.name[: convert.NAME_MAX],
                    sender_email=request.sender.email[: convert.EMAIL_MAX],
                    sender_locale=request.sender.locale[:16] or None,
                    correlation_id=get_correlation_id(),
                )
            )
            return pb.TicketTransferResponse(transfer=convert.transfer_pb(view))

    async def GetTicketTransfer(
        self, request: pb.GetTicketTransferRequest, context: Context
    ) -> pb.TicketTransferResponse:
        async with ErrorsAsStatus(context):
            view = await self._get_transfer(
                commands.GetTransfer(
                    actor=_actor(context),
                    transfer_id=convert.transfer_id_of(request.id),
                    token=request.token[: convert.TOKEN_MAX],
                    account_email=request.account_email[: convert.EMAIL_MAX],
                )
            )
            return pb.TicketTransferResponse(transfer=convert.transfer_pb(view))

    async def AcceptTicketTransfer(
        self, request: pb.AcceptTicketTransferRequest, context: Context
    ) -> pb.TicketTransferResponse:
        async with ErrorsAsStatus(context):
            view = await self._accept_transfer(
                commands.AcceptTransfer(
                    actor=_actor(context),
                    transfer_id=convert.transfer_id_of(request.id),
                    token=request.token[: convert.TOKEN_MAX],
                    recipient_name=request.recipient.name[: convert.NAME_MAX],
                    recipient_email=request.recipient.email[: convert.EMAIL_MAX],
                    recipient_locale=request.recipient.locale[:16] or None,
                    correlation_id=get_correlation_id(),
                )
            )
            return pb.TicketTransferResponse(transfer=convert.transfer_pb(view))

    async def CancelTicketTransfer(
        self, request: pb.CancelTicketTransferRequest, context: Context
    ) -> pb.TicketTransferResponse:
        async with ErrorsAsStatus(context):
            view = await self._cancel_transfer(
                commands.CancelTransfer(
                    actor=_actor(context),
                    transfer_id=convert.transfer_id_of(request.id),
                    correlation_id=get_correlation_id(),
                )
            )
            return pb.TicketTransferResponse(transfer=convert.transfer_pb(view))

    async def JoinWaitlist(self, request: pb.JoinWaitlistRequest, context: Context) -> pb.WaitlistEntry:
        async with ErrorsAsStatus(context):
            standing = await self._join_waitlist(
                commands.JoinWaitlist(
                    _actor(context),
                    convert.session_id_of(request.session_id),
                    convert.zone_id_of(request.zone_id),
                    convert.waitlist_quantity_of(request.quantity),
                    correlation_id=get_correlation_id(),
                )
            )
            return convert.waitlist_entry_pb(standing)

    async def ListMyWaitlist(
        self, request: pb.ListMyWaitlistRequest, context: Context
    ) -> pb.ListMyWaitlistResponse:
        async with ErrorsAsStatus(context):
            found = await self._list_my_waitlist(commands.ListMyWaitlist(_actor(context)))
            return pb.ListMyWaitlistResponse(entries=[convert.waitlist_entry_pb(s) for s in found])

    async def LeaveWaitlist(self, request: pb.LeaveWaitlistRequest, context: Context) -> pb.WaitlistEntry:
        async with ErrorsAsStatus(context):
            standing = await self._leave_waitlist(
                commands.LeaveWaitlist(
                    _actor(context),
                    convert.waitlist_entry_id_of(request.id),
                    correlation_id=get_correlation_id(),
                )
            )
            return convert.waitlist_entry_pb(standing)

    async def GetWaitlistLengths(
        self, request: pb.GetWaitlistLengthsRequest, context: Context
    ) -> pb.WaitlistLengths:
        async with ErrorsAsStatus(context):
            lengths = await self._waitlist_lengths(
                commands.GetWaitlistLengths(_actor(context), convert.event_id_of(request.event_id))
            )
            return convert.waitlist_lengths_pb(lengths)

    async def GetEventReport(self, request: pb.GetEventReportRequest, context: Context) -> pb.Report:
        async with ErrorsAsStatus(context):
            report = await self._event_report(
                commands.GetEventReport(
                    _actor(context),
                    convert.event_id_of(request.event_id),
                    convert.report_query_from(request.span),
                )
            )
            return convert.report_pb(report)

    async def GetOrganizationReport(
        self, request: pb.GetOrganizationReportRequest, context: Context
    ) -> pb.Report:
        async with ErrorsAsStatus(context):
            try:
                organization_id = uuid.UUID(request.organization_id)
            except ValueError:
                raise InvalidInput.single("organization_id", "must be a UUID", "invalid_uuid") from None
            report = await self._organization_report(
                commands.GetOrganizationReport(
                    _actor(context), organization_id, convert.report_query_from(request.span)
                )
            )
            return convert.report_pb(report)

    async def ListEventAttendees(
        self, request: pb.ListEventAttendeesRequest, context: Context
    ) -> pb.ListEventAttendeesResponse:
        async with ErrorsAsStatus(context):
            page = await self._list_event_attendees(
                commands.ListEventAttendees(
                    _actor(context),
                    convert.event_id_of(request.event_id),
                    limit=request.limit or 500,
                    after=convert.attendee_after(request.cursor),
                )
            )
            return convert.attendees_pb(page)

    async def CheckIn(self, request: pb.CheckInRequest, context: Context) -> pb.CheckInResponse:
        async with ErrorsAsStatus(context):
            outcome = await self._check_in(
                commands.CheckIn(
                    actor=_actor(context),
                    secret=request.secret[: convert.SCAN_TEXT_MAX],
                    session_id=convert.session_id_of(request.session_id),
                    device_id=request.device_id[: convert.SCAN_TEXT_MAX],
                    nonce=request.nonce[: convert.SCAN_TEXT_MAX],
                    type=convert.scan_type_of(request.type, "type"),
                    scanned_at=convert.scanned_at_of(request),
                )
            )
            count_scans([outcome.answer])
            return convert.check_in_pb(outcome)

    async def CheckInBatch(
        self, request: pb.CheckInBatchRequest, context: Context
    ) -> pb.CheckInBatchResponse:
        async with ErrorsAsStatus(context):
            actor = _actor(context)
            session_id = convert.session_id_of(request.session_id)
            if len(request.scans) > convert.BATCH_SCANS_MAX:
                raise InvalidInput.single("scans", f"must hold 1 to {convert.BATCH_SCANS_MAX} scans")
            scans = tuple(
                convert.offline_scan_from(request, index, session_id) for index in range(len(request.scans))
            )
            outcome = await self._check_in_batch(
                commands.CheckInBatch(
                    actor=actor,
                    session_id=session_id,
                    device_id=request.device_id[: convert.SCAN_TEXT_MAX],
                    scans=scans,
                )
            )
            count_scans(outcome.answers)
            return convert.batch_pb(outcome)

    async def GetCheckInPack(self, request: pb.GetCheckInPackRequest, context: Context) -> pb.CheckInPack:
        async with ErrorsAsStatus(context):
            pack = await self._checkin_pack(
                commands.GetCheckInPack(
                    actor=_actor(context),
                    session_id=convert.session_id_of(request.session_id),
                    cursor=request.cursor[:200] or None,
                )
            )
            return convert.pack_pb(pack)

    async def ListCheckInConflicts(
        self, request: pb.ListCheckInConflictsRequest, context: Context
    ) -> pb.ListCheckInConflictsResponse:
        async with ErrorsAsStatus(context):
            conflicts = await self._checkin_conflicts(
                commands.ListCheckInConflicts(_actor(context), convert.event_id_of(request.event_id))
            )
            return convert.conflicts_pb(conflicts)


def _orders_page(page: OrderPage) -> pb.ListOrdersResponse:
    return pb.ListOrdersResponse(
        orders=[convert.order_pb(order) for order in page.orders],
        next_cursor=convert.order_cursor_after(page.orders[-1]) if page.has_more else "",
        total=page.total or 0,
    )


def count_scans(answers: list[CheckInAnswer]) -> None:
    """Counts the scans recorded now (a retry recorded nothing)."""
    for answer in answers:
        if answer.replayed:
            continue
        CHECKINS.labels(answer.result.value).inc()
        if answer.conflict:
            CHECKIN_CONFLICTS.inc()
