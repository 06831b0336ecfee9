"""Ticketing's state-changing RPCs and how each is recorded in the audit trail (taquilla_runtime.audit).

Sales, refunds, door scans and transfers are recorded. Reserve, JoinQueue and the waiting list are
not: they are a buyer's holds and places in line, answered thousands of times a second in a flash
sale, and a sale leaves its trace at CreateOrder. Secrets in requests (a ticket's QR secret, a
transfer's token, an email) are never recorded: the targets below are ids.
"""

from __future__ import annotations

from taquilla_runtime.audit import AuditedMethod, audited_methods
from ticketing_svc.entrypoints.grpc_server import SERVICE_NAME

AUDITED = audited_methods(
    SERVICE_NAME,
    {
        "ReleaseReservation": AuditedMethod("reservation.release", "reservation", "id"),
        # A new order is recorded against the reservation it turns into a sale.
        "CreateOrder": AuditedMethod("order.create", "reservation", "reservation_id"),
        "HandlePaymentNotice": AuditedMethod("order.payment_notice", "order", "order_id"),
        "RefundOrder": AuditedMethod("order.refund", "order", "order_id"),
        # Outcome: success, or how the door refused the ticket (already_redeemed, revoked, ...).
        "CheckIn": AuditedMethod("checkin.scan", "session", "session_id"),
        "CheckInBatch": AuditedMethod("checkin.batch", "session", "session_id"),
        "OfferTicketTransfer": AuditedMethod("transfer.offer", "ticket", "ticket_id"),
        "AcceptTicketTransfer": AuditedMethod("transfer.accept", "transfer", "id"),
        "CancelTicketTransfer": AuditedMethod("transfer.cancel", "transfer", "id"),
    },
)
