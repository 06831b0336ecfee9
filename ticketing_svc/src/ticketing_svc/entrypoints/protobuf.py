"""Translation between taquilla.ticketing.v1 messages and ticketing's commands and results."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla_runtime.cursors import InvalidCursor, decode_cursor, encode_cursor
from taquilla_runtime.principal import Principal, PrincipalKind
from taquilla_runtime.timestamps import from_timestamp, to_timestamp
from ticketing_svc.application.checkin_handlers import BatchOutcome, CheckInOutcome, CheckInPack
from ticketing_svc.application.handlers import Availability
from ticketing_svc.application.transfer_handlers import TransferView
from ticketing_svc.application.waitlist_handlers import WaitlistLengths
from ticketing_svc.domain.checkins import (
    CheckInAnswer,
    CheckInConflict,
    DoorTicket,
    Occupancy,
    Scan,
    ScanResult,
    ScanType,
)
from ticketing_svc.domain.commands import Actor, ActorKind, Idempotency
from ticketing_svc.domain.errors import (
    EventNotFound,
    FieldProblem,
    InvalidInput,
    OrderNotFound,
    QueueEntryNotFound,
    ReservationNotFound,
    SessionNotFound,
    TicketNotFound,
    TransferNotFound,
    WaitlistEntryNotFound,
)
from ticketing_svc.domain.model import (
    InventoryLine,
    ItemRequest,
    Money,
    Reservation,
    ReservationStatus,
    SaleStatus,
)
from ticketing_svc.domain.orders import (
    AWAITING_PAYMENT,
    CancellationProgress,
    Order,
    OrderStatus,
    Refund,
    RefundStatus,
    Ticket,
    TicketStatus,
)
from ticketing_svc.domain.reports import (
    Attendee,
    AttendeePage,
    Bucket,
    Figures,
    Report,
    ReportLine,
    ReportQuery,
)
from ticketing_svc.domain.transfers import TransferStatus
from ticketing_svc.domain.waiting_room import QueueStanding, QueueStatus
from ticketing_svc.domain.waitlist import WaitlistStanding, WaitlistStatus

IDEMPOTENCY_KEY_MAX = 255
QUANTITY_MAX = 1000

RESERVATION_STATUS = {
    ReservationStatus.HELD: pb.RESERVATION_STATUS_HELD,
    ReservationStatus.RELEASED: pb.RESERVATION_STATUS_RELEASED,
    ReservationStatus.EXPIRED: pb.RESERVATION_STATUS_EXPIRED,
    ReservationStatus.PURCHASED: pb.RESERVATION_STATUS_PURCHASED,
}
RESERVATION_STATUS_OF = {value: key for key, value in RESERVATION_STATUS.items()}
SALE_STATUS = {
    SaleStatus.ON_SALE: pb.SALE_STATUS_ON_SALE,
    SaleStatus.FEW_LEFT: pb.SALE_STATUS_FEW_LEFT,
    SaleStatus.SOLD_OUT: pb.SALE_STATUS_SOLD_OUT,
    SaleStatus.NOT_ON_SALE: pb.SALE_STATUS_NOT_ON_SALE,
}
_ACTOR_KIND = {
    PrincipalKind.USER: ActorKind.USER,
    PrincipalKind.CLIENT: ActorKind.CLIENT,
    PrincipalKind.SERVICE: ActorKind.SERVICE,
}


def actor_from(principal: Principal | None) -> Actor | None:
    if principal is None:
        return None
    return Actor(
        subject=principal.subject,
        kind=_ACTOR_KIND[principal.kind],
        role=principal.role.value if principal.role else None,
        organization_id=principal.organization_id,
    )


# ---------------------------------------------------------------- ids and inputs


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def session_id_of(value: str) -> uuid.UUID:
    """A malformed id names no session: NOT_FOUND, like an unknown one."""
    found = _uuid(value)
    if found is None:
        raise SessionNotFound(value[:64])
    return found


def event_id_of(value: str) -> uuid.UUID:
    found = _uuid(value)
    if found is None:
        raise EventNotFound(value[:64])
    return found


def reservation_id_of(value: str) -> uuid.UUID:
    found = _uuid(value)
    if found is None:
        raise ReservationNotFound(value[:64])
    return found


def items_from(items: list[pb.ItemRequest]) -> tuple[ItemRequest, ...]:
    problems: list[FieldProblem] = []
    found: list[ItemRequest] = []
    for index, item in enumerate(items):
        zone_id = _uuid(item.zone_id)
        if zone_id is None:
            problems.append(
                FieldProblem(f"items.{index}.zone_id", "must be a zone id (UUID)", "invalid_uuid")
            )
        if not 1 <= item.quantity <= QUANTITY_MAX:
            problems.append(
                FieldProblem(f"items.{index}.quantity", f"must be from 1 to {QUANTITY_MAX}", "out_of_range")
            )
        if zone_id is not None:
            found.append(ItemRequest(zone_id, item.quantity))
    if problems:
        raise InvalidInput(problems)
    return tuple(found)


def idempotency_from(key: str, fingerprint: str) -> Idempotency | None:
    if not key:
        return None
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise InvalidInput.single("idempotency_key", f"at most {IDEMPOTENCY_KEY_MAX} characters")
    return Idempotency(key, fingerprint)


def statuses_from(values: list[int]) -> tuple[ReservationStatus, ...]:
    try:
        return tuple(RESERVATION_STATUS_OF[pb.ReservationStatus.ValueType(v)] for v in values)
    except KeyError:
        raise InvalidInput.single("statuses", "unknown reservation status") from None


def page_after(cursor: str) -> tuple[str, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        position = decode_cursor(cursor)
        if not isinstance(position, list) or len(position) != 2:
            raise InvalidCursor("not a cursor of this listing")
        created_at, reservation_id = position
        dt.datetime.fromisoformat(str(created_at))
        return str(created_at), uuid.UUID(str(reservation_id))
    except (InvalidCursor, ValueError):
        raise InvalidInput.single("cursor", "is not a cursor of this listing") from None


def cursor_after(reservation: Reservation) -> str:
    return encode_cursor([reservation.created_at.isoformat(), str(reservation.id)])


# ---------------------------------------------------------------- results


def money(value: Money) -> pb.Money:
    return pb.Money(amount=f"{value.amount:.2f}", currency=value.currency)


def reservation_pb(reservation: Reservation) -> pb.Reservation:
    message = pb.Reservation(
        id=str(reservation.id),
        status=RESERVATION_STATUS[reservation.status],
        event_id=str(reservation.event_id),
        session_id=str(reservation.session_id),
        items=[
            pb.ReservationItem(
                zone_id=str(item.zone_id),
                quantity=item.quantity,
                unit_price=money(item.unit_price),
                zone_name=item.zone_name,
            )
            for item in reservation.items
        ],
        total=money(reservation.total),
        expires_at=to_timestamp(reservation.expires_at),
        created_at=to_timestamp(reservation.created_at),
        event_name=reservation.event_name,
    )
    if reservation.ended_at is not None:
        message.ended_at.CopyFrom(to_timestamp(reservation.ended_at))
    return message


def availability_pb(availability: Availability) -> pb.GetAvailabilityResponse:
    message = pb.GetAvailabilityResponse(
        event_id=str(availability.event.id),
        zones=[
            pb.ZoneAvailability(
                session_id=str(zone.line.session_id),
                zone_id=str(zone.line.zone_id),
                capacity=zone.line.capacity,
                available=zone.line.available,
                status=SALE_STATUS[zone.status],
            )
            for zone in availability.zones
        ],
        as_of=to_timestamp(availability.as_of),
    )
    on_sale_at = availability.event.settings.on_sale_at
    if on_sale_at is not None:
        message.on_sale_at.CopyFrom(to_timestamp(on_sale_at))
    return message


def taken_pb(lines: list[InventoryLine]) -> pb.CountTakenResponse:
    return pb.CountTakenResponse(
        places=[
            pb.TakenPlaces(
                session_id=str(line.session_id), zone_id=str(line.zone_id), held=line.held, sold=line.sold
            )
            for line in lines
        ]
    )


# ---------------------------------------------------------------- the waiting room

QUEUE_STATUS = {
    QueueStatus.WAITING: pb.QUEUE_STATUS_WAITING,
    QueueStatus.ADMITTED: pb.QUEUE_STATUS_ADMITTED,
    QueueStatus.SOLD_OUT: pb.QUEUE_STATUS_SOLD_OUT,
}


def queue_id_of(value: str) -> uuid.UUID:
    found = _uuid(value)
    if found is None:
        raise QueueEntryNotFound(value[:64])
    return found


def standing_pb(standing: QueueStanding) -> pb.QueueStanding:
    message = pb.QueueStanding(
        queue_id=str(standing.entry.id),
        event_id=str(standing.entry.event_id),
        status=QUEUE_STATUS[standing.status],
        position=standing.position,
        estimated_wait_seconds=standing.estimated_wait_seconds,
        admission=standing.admission or "",
    )
    if standing.admission_expires_at is not None:
        message.admission_expires_at.CopyFrom(to_timestamp(standing.admission_expires_at))
    if standing.opens_at is not None:
        message.opens_at.CopyFrom(to_timestamp(standing.opens_at))
    return message


# ---------------------------------------------------------------- orders and tickets

ORDER_STATUS = {
    OrderStatus.PENDING_PAYMENT: pb.ORDER_STATUS_PENDING_PAYMENT,
    OrderStatus.PAID: pb.ORDER_STATUS_PAID,
    OrderStatus.PARTIALLY_REFUNDED: pb.ORDER_STATUS_PARTIALLY_REFUNDED,
    OrderStatus.REFUNDED: pb.ORDER_STATUS_REFUNDED,
    OrderStatus.FAILED: pb.ORDER_STATUS_FAILED,
    OrderStatus.EXPIRED: pb.ORDER_STATUS_EXPIRED,
    OrderStatus.CANCELLED: pb.ORDER_STATUS_CANCELLED,
}
ORDER_STATUS_OF = {value: key for key, value in ORDER_STATUS.items()}
TICKET_STATUS = {
    TicketStatus.VALID: pb.TICKET_STATUS_VALID,
    TicketStatus.REVOKED: pb.TICKET_STATUS_REVOKED,
    TicketStatus.USED: pb.TICKET_STATUS_USED,
}
QUERY_MAX = 200


def order_id_of(value: str) -> uuid.UUID:
    found = _uuid(value)
    if found is None:
        raise OrderNotFound(value[:64])
    return found


def order_id_or_none(value: str) -> uuid.UUID | None:
    """The order id a provider's payment carries, when it carries a valid one."""
    return _uuid(value) if value else None


def ticket_id_of(value: str) -> uuid.UUID:
    found = _uuid(value)
    if found is None:
        raise TicketNotFound(value[:64])
    return found


def order_statuses_from(values: list[int]) -> tuple[OrderStatus, ...]:
    try:
        return tuple(ORDER_STATUS_OF[pb.OrderStatus.ValueType(v)] for v in values)
    except KeyError:
        raise InvalidInput.single("statuses", "unknown order status") from None


def order_cursor_after(order: Order) -> str:
    return encode_cursor([order.created_at.isoformat(), str(order.id)])


def ticket_cursor_after(ticket: Ticket) -> str:
    return encode_cursor([ticket.issued_at.isoformat(), str(ticket.id)])


def order_pb(order: Order) -> pb.Order:
    message = pb.Order(
        id=str(order.id),
        status=ORDER_STATUS[order.status],
        reservation_id=str(order.reservation_id),
        event_id=str(order.event_id),
        event_name=order.event_name,
        session_id=str(order.session_id),
        items=[
            pb.ReservationItem(
                zone_id=str(item.zone_id),
                quantity=item.quantity,
                unit_price=money(item.unit_price),
                zone_name=item.zone_name,
            )
            for item in order.items
        ],
        total=money(order.total),
        refunded=money(Money(order.refunded, order.total.currency)),
        buyer=pb.Buyer(name=order.buyer.name, email=order.buyer.email, locale=order.buyer.locale),
        payment=pb.Payment(
            provider=order.provider,
            checkout_url=order.checkout_url or "" if order.status in AWAITING_PAYMENT else "",
            failure_code=order.failure_code or "",
        ),
        created_at=to_timestamp(order.created_at),
        pay_by=to_timestamp(order.pay_by),
        updated_at=to_timestamp(order.updated_at),
        ticket_ids=[str(ticket_id) for ticket_id in order.ticket_ids],
    )
    if order.paid_at is not None:
        message.paid_at.CopyFrom(to_timestamp(order.paid_at))
    return message


def ticket_pb(ticket: Ticket) -> pb.Ticket:
    return pb.Ticket(
        id=str(ticket.id),
        order_id=str(ticket.order_id),
        event_id=str(ticket.event_id),
        event_name=ticket.event_name,
        session_id=str(ticket.session_id),
        zone_id=str(ticket.zone_id),
        zone_name=ticket.zone_name,
        holder_name=ticket.holder_name,
        status=TICKET_STATUS[ticket.status],
        # A used ticket keeps its secret: a holder who went out needs it to come back in.
        secret=ticket.secret if ticket.status is not TicketStatus.REVOKED else "",
        price=money(ticket.price),
        issued_at=to_timestamp(ticket.issued_at),
        revoked_reason=ticket.revoked_reason or "" if ticket.status is TicketStatus.REVOKED else "",
    )


REFUND_STATUS = {
    RefundStatus.REQUESTED: pb.REFUND_STATUS_REQUESTED,
    RefundStatus.SUCCEEDED: pb.REFUND_STATUS_SUCCEEDED,
    RefundStatus.FAILED: pb.REFUND_STATUS_FAILED,
}
TICKETS_PER_REFUND_MAX = 100


def ticket_ids_from(values: list[str]) -> tuple[uuid.UUID, ...]:
    if len(values) > TICKETS_PER_REFUND_MAX:
        raise InvalidInput.single("ticket_ids", f"at most {TICKETS_PER_REFUND_MAX} tickets per refund")
    found = []
    for index, value in enumerate(values):
        ticket_id = _uuid(value)
        if ticket_id is None:
            raise InvalidInput.single(f"ticket_ids.{index}", "must be a ticket id (UUID)", "invalid_uuid")
        found.append(ticket_id)
    return tuple(found)


def refund_pb(refund: Refund) -> pb.Refund:
    message = pb.Refund(
        id=str(refund.id),
        order_id=str(refund.order_id),
        amount=money(refund.amount),
        status=REFUND_STATUS[refund.status],
        reason=refund.reason,
        ticket_ids=[str(ticket_id) for ticket_id in refund.ticket_ids],
        requested_at=to_timestamp(refund.requested_at),
    )
    if refund.settled_at is not None:
        message.settled_at.CopyFrom(to_timestamp(refund.settled_at))
    return message


def event_refunds_pb(progress: CancellationProgress) -> pb.EventRefunds:
    message = pb.EventRefunds(
        event_id=str(progress.event_id),
        started_at=to_timestamp(progress.started_at),
        orders=progress.orders,
        requested=progress.requested,
        refunded=progress.refunded,
        amount_refunded=pb.Money(amount=f"{progress.amount_refunded:.2f}", currency=progress.currency or ""),
    )
    if progress.finished_at is not None:
        message.finished_at.CopyFrom(to_timestamp(progress.finished_at))
    return message


TRANSFER_STATUS = {
    TransferStatus.PENDING: pb.TRANSFER_STATUS_PENDING,
    TransferStatus.ACCEPTED: pb.TRANSFER_STATUS_ACCEPTED,
    TransferStatus.CANCELLED: pb.TRANSFER_STATUS_CANCELLED,
    TransferStatus.EXPIRED: pb.TRANSFER_STATUS_EXPIRED,
}
TOKEN_MAX = 128
EMAIL_MAX = 320
NAME_MAX = 400


def transfer_id_of(value: str) -> uuid.UUID:
    found = _uuid(value)
    if found is None:
        raise TransferNotFound(value[:64])
    return found


def transfer_pb(view: TransferView) -> pb.TicketTransfer:
    transfer = view.transfer
    message = pb.TicketTransfer(
        id=str(transfer.id),
        ticket_id=str(transfer.ticket_id),
        new_ticket_id=str(transfer.new_ticket_id) if transfer.new_ticket_id else "",
        status=TRANSFER_STATUS[view.status],
        recipient_email=transfer.recipient_email,
        sender_name=transfer.sender.name,
        event_id=str(transfer.event_id),
        event_name=transfer.event_name,
        session_id=str(transfer.session_id),
        zone_name=view.ticket.zone_name,
        created_at=to_timestamp(transfer.created_at),
        expires_at=to_timestamp(transfer.expires_at),
    )
    if transfer.accepted_at is not None:
        message.accepted_at.CopyFrom(to_timestamp(transfer.accepted_at))
    return message


# ---------------------------------------------------------------- waiting lists

WAITLIST_STATUS = {
    WaitlistStatus.WAITING: pb.WAITLIST_STATUS_WAITING,
    WaitlistStatus.OFFERED: pb.WAITLIST_STATUS_OFFERED,
    WaitlistStatus.FULFILLED: pb.WAITLIST_STATUS_FULFILLED,
    WaitlistStatus.EXPIRED: pb.WAITLIST_STATUS_EXPIRED,
    WaitlistStatus.LEFT: pb.WAITLIST_STATUS_LEFT,
}


def zone_id_of(value: str) -> uuid.UUID:
    found = _uuid(value)
    if found is None:
        raise InvalidInput.single("zone_id", "must be a zone id (UUID)", "invalid_uuid")
    return found


def waitlist_quantity_of(value: int) -> int:
    if not 1 <= value <= QUANTITY_MAX:
        raise InvalidInput.single("quantity", f"must be from 1 to {QUANTITY_MAX}", "out_of_range")
    return value


def waitlist_entry_id_of(value: str) -> uuid.UUID:
    found = _uuid(value)
    if found is None:
        raise WaitlistEntryNotFound(value[:64])
    return found


def waitlist_entry_pb(standing: WaitlistStanding) -> pb.WaitlistEntry:
    entry = standing.entry
    message = pb.WaitlistEntry(
        id=str(entry.id),
        event_id=str(entry.event_id),
        session_id=str(entry.session_id),
        zone_id=str(entry.zone_id),
        quantity=entry.quantity,
        status=WAITLIST_STATUS[entry.status],
        created_at=to_timestamp(entry.created_at),
        offer_reservation_id=str(entry.offer_reservation_id) if entry.offer_reservation_id else "",
        event_name=standing.event_name,
        zone_name=standing.zone_name,
    )
    if standing.place is not None:
        message.position = standing.place
    if entry.offered_at is not None:
        message.offered_at.CopyFrom(to_timestamp(entry.offered_at))
    if entry.offer_expires_at is not None:
        message.offer_expires_at.CopyFrom(to_timestamp(entry.offer_expires_at))
    return message


def waitlist_lengths_pb(lengths: WaitlistLengths) -> pb.WaitlistLengths:
    return pb.WaitlistLengths(
        event_id=str(lengths.event.id),
        lengths=[
            pb.WaitlistLength(
                session_id=str(line.session_id),
                zone_id=str(line.zone_id),
                entries=line.entries,
                places=line.places,
                offered=line.offered,
            )
            for line in lengths.lines
        ],
    )


# ---------------------------------------------------------------- check-in

SCAN_TYPE_OF = {
    pb.SCAN_TYPE_UNSPECIFIED: ScanType.ENTRY,
    pb.SCAN_TYPE_ENTRY: ScanType.ENTRY,
    pb.SCAN_TYPE_EXIT: ScanType.EXIT,
}
SCAN_TYPE = {ScanType.ENTRY: pb.SCAN_TYPE_ENTRY, ScanType.EXIT: pb.SCAN_TYPE_EXIT}
CHECK_IN_RESULT = {
    ScanResult.OK: pb.CHECK_IN_RESULT_OK,
    ScanResult.ALREADY_REDEEMED: pb.CHECK_IN_RESULT_ALREADY_REDEEMED,
    ScanResult.INVALID: pb.CHECK_IN_RESULT_INVALID,
    ScanResult.REVOKED: pb.CHECK_IN_RESULT_REVOKED,
    ScanResult.WRONG_SESSION: pb.CHECK_IN_RESULT_WRONG_SESSION,
    ScanResult.INVALID_TIME: pb.CHECK_IN_RESULT_INVALID_TIME,
}
# Longer than any allowed value: a longer one is cut, and still refused by the domain's checks.
SCAN_TEXT_MAX = 300
BATCH_SCANS_MAX = 500


def scan_type_of(value: int, field: str) -> ScanType:
    found = SCAN_TYPE_OF.get(pb.ScanType.ValueType(value))
    if found is None:
        raise InvalidInput.single(field, "must be entry or exit")
    return found


def offline_scan_from(request: pb.CheckInBatchRequest, index: int, session_id: uuid.UUID) -> Scan:
    scan = request.scans[index]
    if not scan.HasField("scanned_at"):
        raise InvalidInput.single(f"scans.{index}.scanned_at", "is required for a scan made offline")
    return Scan(
        secret=scan.secret[:SCAN_TEXT_MAX],
        session_id=session_id,
        device_id=request.device_id[:SCAN_TEXT_MAX],
        nonce=scan.nonce[:SCAN_TEXT_MAX],
        scanned_at=from_timestamp(scan.scanned_at),
        type=scan_type_of(scan.type, f"scans.{index}.type"),
        offline=True,
    )


def scanned_at_of(request: pb.CheckInRequest) -> dt.datetime | None:
    """The time an offline scan was made; None for an online one (now)."""
    return from_timestamp(request.scanned_at) if request.HasField("scanned_at") else None


def door_ticket_pb(ticket: DoorTicket) -> pb.DoorTicket:
    return pb.DoorTicket(
        id=str(ticket.id),
        zone_id=str(ticket.zone_id),
        zone_name=ticket.zone_name,
        holder_name=ticket.holder_name,
        status=TICKET_STATUS[ticket.status],
    )


def answer_pb(answer: CheckInAnswer, occupancy: Occupancy) -> pb.CheckInResponse:
    reply = pb.CheckInResponse(
        result=CHECK_IN_RESULT[answer.result],
        scanned_at=to_timestamp(answer.scanned_at),
        admitted=occupancy.admitted,
        capacity=occupancy.capacity,
        conflict=answer.conflict,
        nonce=answer.nonce,
    )
    if answer.ticket is not None:
        reply.ticket.CopyFrom(door_ticket_pb(answer.ticket))
    if answer.first_scan is not None:
        reply.first_scan.CopyFrom(
            pb.FirstScan(at=to_timestamp(answer.first_scan.at), device_id=answer.first_scan.device_id)
        )
    return reply


def check_in_pb(outcome: CheckInOutcome) -> pb.CheckInResponse:
    return answer_pb(outcome.answer, outcome.occupancy)


def batch_pb(outcome: BatchOutcome) -> pb.CheckInBatchResponse:
    return pb.CheckInBatchResponse(
        results=[answer_pb(answer, outcome.occupancy) for answer in outcome.answers],
        admitted=outcome.occupancy.admitted,
        capacity=outcome.occupancy.capacity,
    )


def pack_pb(pack: CheckInPack) -> pb.CheckInPack:
    reply = pb.CheckInPack(
        session_id=str(pack.session.id),
        event_id=str(pack.event.id),
        event_name=pack.event.name,
        keys=[
            pb.SigningKey(kid=k["kid"], kty=k["kty"], crv=k["crv"], x=k["x"], alg=k["alg"], use=k["use"])
            for k in pack.keys
        ],
        tickets=[door_ticket_pb(ticket) for ticket in pack.tickets],
        revoked=[str(ticket_id) for ticket_id in pack.revoked],
        admitted=pack.occupancy.admitted,
        capacity=pack.occupancy.capacity,
        cursor=pack.cursor,
        complete=pack.complete,
    )
    if pack.session.starts_at is not None:
        reply.session_starts_at.CopyFrom(to_timestamp(pack.session.starts_at))
    return reply


def conflicts_pb(conflicts: list[CheckInConflict]) -> pb.ListCheckInConflictsResponse:
    return pb.ListCheckInConflictsResponse(
        items=[
            pb.CheckInConflict(
                ticket=door_ticket_pb(conflict.ticket),
                scans=[
                    pb.ConflictScan(
                        at=to_timestamp(scan.at),
                        device_id=scan.device_id,
                        result=CHECK_IN_RESULT[scan.result],
                        type=SCAN_TYPE[scan.type],
                        conflict=scan.conflict,
                    )
                    for scan in conflict.scans
                ],
            )
            for conflict in conflicts
        ]
    )


# ---------------------------------------------------------------- reports

BUCKET_OF = {
    pb.REPORT_BUCKET_UNSPECIFIED: Bucket.DAY,
    pb.REPORT_BUCKET_DAY: Bucket.DAY,
    pb.REPORT_BUCKET_HOUR: Bucket.HOUR,
}
BUCKET_PB = {Bucket.DAY: pb.REPORT_BUCKET_DAY, Bucket.HOUR: pb.REPORT_BUCKET_HOUR}


def report_query_from(span: pb.ReportSpan) -> ReportQuery:
    bucket = BUCKET_OF.get(span.bucket)
    if bucket is None:
        raise InvalidInput.single("bucket", "must be hour or day", "invalid_choice")
    return ReportQuery(
        since=from_timestamp(span.since) if span.HasField("since") else None,
        until=from_timestamp(span.until) if span.HasField("until") else None,
        bucket=bucket,
    )


def _moneys(amounts: dict[str, Decimal]) -> list[pb.Money]:
    return [
        pb.Money(amount=f"{amount:.2f}", currency=currency) for currency, amount in sorted(amounts.items())
    ]


def figures_pb(figures: Figures) -> pb.ReportFigures:
    return pb.ReportFigures(
        tickets_sold=figures.tickets_sold,
        tickets_refunded=figures.tickets_refunded,
        orders_paid=figures.orders_paid,
        refunds=figures.refunds,
        gross=_moneys(figures.gross),
        refunded=_moneys(figures.refunded),
        net=_moneys(figures.net),
        admitted=figures.admitted,
        entries=figures.entries,
        exits=figures.exits,
        double_admissions=figures.double_admissions,
    )


def _report_line_pb(line: ReportLine) -> pb.ReportLine:
    message = pb.ReportLine(
        event_id=str(line.event_id),
        event_name=line.event_name,
        session_id=str(line.session_id),
        zone_id=str(line.zone_id),
        zone_name=line.zone_name,
        capacity=line.capacity,
        figures=figures_pb(line.figures),
        sell_through=str(line.sell_through),
        waitlist_entries=line.waitlist_entries,
        waitlist_places=line.waitlist_places,
    )
    if line.session_starts_at is not None:
        message.session_starts_at.CopyFrom(to_timestamp(line.session_starts_at))
    return message


def report_pb(report: Report) -> pb.Report:
    span = pb.ReportSpan(bucket=BUCKET_PB[report.query.bucket])
    if report.query.since is not None:
        span.since.CopyFrom(to_timestamp(report.query.since))
    if report.query.until is not None:
        span.until.CopyFrom(to_timestamp(report.query.until))
    message = pb.Report(
        span=span,
        totals=figures_pb(report.totals),
        capacity=report.capacity,
        sell_through=str(report.sell_through),
        waitlist_entries=report.waitlist_entries,
        waitlist_places=report.waitlist_places,
        lines=[_report_line_pb(line) for line in report.lines],
        series=[
            pb.ReportBucketFigures(start=to_timestamp(bucket.start), figures=figures_pb(bucket.figures))
            for bucket in report.series
        ],
    )
    message.as_of.CopyFrom(to_timestamp(report.as_of))
    return message


def attendee_after(cursor: str) -> uuid.UUID | None:
    if not cursor:
        return None
    try:
        position = decode_cursor(cursor)
        if not isinstance(position, list) or len(position) != 1:
            raise InvalidCursor("not a cursor of this listing")
        return uuid.UUID(str(position[0]))
    except (InvalidCursor, ValueError):
        raise InvalidInput.single("cursor", "is not a cursor of this listing") from None


def _attendee_pb(attendee: Attendee) -> pb.Attendee:
    message = pb.Attendee(
        ticket_id=str(attendee.ticket_id),
        order_id=str(attendee.order_id),
        session_id=str(attendee.session_id),
        zone_id=str(attendee.zone_id),
        zone_name=attendee.zone_name,
        holder_name=attendee.holder_name,
        buyer_name=attendee.buyer_name,
        buyer_email=attendee.buyer_email,
        price=pb.Money(amount=f"{attendee.price:.2f}", currency=attendee.currency),
        status=attendee.status,
    )
    message.issued_at.CopyFrom(to_timestamp(attendee.issued_at))
    if attendee.first_entry_at is not None:
        message.first_entry_at.CopyFrom(to_timestamp(attendee.first_entry_at))
    return message


def attendees_pb(page: AttendeePage) -> pb.ListEventAttendeesResponse:
    return pb.ListEventAttendeesResponse(
        attendees=[_attendee_pb(a) for a in page.attendees],
        next_cursor=encode_cursor([str(page.attendees[-1].ticket_id)]) if page.has_more else "",
        total=page.total or 0,
    )
