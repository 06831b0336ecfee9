"""Typed failures of ticketing. The gRPC servicer maps each one to a status code, in one place."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One rejected input field; ``field`` is its dotted path in the request (``items.0.quantity``)."""

    field: str
    message: str
    # A stable word clients translate (the message is English): see FieldErrorOut at the edge.
    code: str = "invalid"


class TicketingError(Exception):
    """Base of every error ticketing reports to its callers."""


class InvalidInput(TicketingError):
    """Some fields are invalid; every problem found is listed, not just the first."""

    def __init__(
        self, problems: Sequence[FieldProblem], message: str = "The request has invalid fields."
    ) -> None:
        super().__init__(message)
        self.problems = list(problems)
        self.message = message

    @classmethod
    def single(cls, field: str, message: str, code: str = "invalid") -> InvalidInput:
        return cls([FieldProblem(field, message, code)], message)


class Unauthenticated(TicketingError):
    """The operation needs a signed-in caller."""


class NotAllowed(TicketingError):
    """The caller is known but may not do this (e.g. a partner client buying tickets)."""


class SessionNotFound(TicketingError):
    """No such session, or one of an event the caller may not see."""

    def __init__(self, session_id: uuid.UUID | str) -> None:
        super().__init__(f"Session {session_id} not found.")


class EventNotFound(TicketingError):
    def __init__(self, event_id: uuid.UUID | str) -> None:
        super().__init__(f"Event {event_id} not found.")


class ReservationNotFound(TicketingError):
    """No such reservation, or another account's (they look the same)."""

    def __init__(self, reservation_id: uuid.UUID | str) -> None:
        super().__init__(f"Reservation {reservation_id} not found.")


class NotOnSale(TicketingError):
    """The event or session does not sell now: a draft, cancelled, not on sale, or before on_sale_at."""


class SoldOut(TicketingError):
    """Not enough places left in some zone; ``left`` has the places left per zone asked for."""

    def __init__(self, left: Mapping[uuid.UUID, int]) -> None:
        super().__init__("Not enough places left: " + ", ".join(f"{n} in zone {z}" for z, n in left.items()))
        self.left = dict(left)


class LimitReached(TicketingError):
    """The account would hold or own more places of the event than the organizer allows."""

    def __init__(self, limit: int, taken: int) -> None:
        super().__init__(
            f"At most {limit} places of this event per customer; this account already has {taken}."
        )
        self.limit = limit
        self.taken = taken


class IdempotencyKeyReused(TicketingError):
    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was used for a different request.")


class IdempotencyConflict(TicketingError):
    """Another request with the same Idempotency-Key committed first; read its result instead."""


class AdmissionRequired(TicketingError):
    """A gated sale needs a valid admission from its waiting room (missing, expired or another's)."""


class NoWaitingRoom(TicketingError):
    """The event sells without a waiting room, or its waiting room is not open yet."""


class QueueEntryNotFound(TicketingError):
    def __init__(self, queue_id: uuid.UUID | str) -> None:
        super().__init__(f"Queue entry {queue_id} not found.")


class WaitingRoomUnavailable(TicketingError):
    """The waiting room's store does not answer: nobody is let in (gated sales fail closed)."""


class OrderNotFound(TicketingError):
    """No such order, or one the caller may not see (they look the same)."""

    def __init__(self, order_id: uuid.UUID | str) -> None:
        super().__init__(f"Order {order_id} not found.")


class TicketNotFound(TicketingError):
    def __init__(self, ticket_id: uuid.UUID | str) -> None:
        super().__init__(f"Ticket {ticket_id} not found.")


class ReservationNotHeld(TicketingError):
    """The reservation ended (released, expired or already purchased): there is nothing to pay for."""


class OrderExists(TicketingError):
    """The reservation already has an order (a reservation is paid for once)."""

    def __init__(self, order_id: uuid.UUID) -> None:
        super().__init__(f"This reservation already has order {order_id}.")
        self.order_id = order_id


class NotPaid(TicketingError):
    """The order has no tickets (yet): it was not paid."""


class TicketRevoked(TicketingError):
    """The ticket was revoked (refunded or transferred): its QR code no longer admits anyone, so it
    is not drawn or printed."""


class TicketsAlreadyIssued(TicketingError):
    """The order has its tickets already: an order is issued its tickets once."""


class PaymentProviderUnavailable(TicketingError):
    """The payment provider did not answer; nothing was charged by this call. Try again."""


class NotRefundable(TicketingError):
    """The refund cannot be made: the order is not paid, a ticket is not valid, or the amount
    passes what is left to refund (``refundable``)."""

    def __init__(self, message: str, refundable: str, currency: str) -> None:
        super().__init__(message)
        self.refundable = refundable
        self.currency = currency


class NotCancelled(TicketingError):
    """The event is not cancelled: there is no refund saga to follow."""


class TransferNotFound(TicketingError):
    """No such transfer, or one the caller may not see (or a wrong link): they look the same."""

    def __init__(self, transfer_id: uuid.UUID | str) -> None:
        super().__init__(f"Transfer {transfer_id} not found.")


class TicketNotTransferable(TicketingError):
    """The ticket cannot be sent now; ``reason`` names why (``ticket-used``, ``ticket-revoked``,
    ``transfers-disabled``, ``transfer-pending``), and is the problem's type."""

    def __init__(self, reason: str, message: str, *, transfer_id: uuid.UUID | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.transfer_id = transfer_id


class TransferClosed(TicketingError):
    """The transfer is no longer pending (accepted, cancelled or expired)."""

    def __init__(self, status: str) -> None:
        super().__init__(f"The transfer is {status}: it can no longer be taken or cancelled.")
        self.status = status


class NotTheRecipient(TicketingError):
    """The signed-in account is not the one the ticket was sent to (another e-mail address)."""

    def __init__(self) -> None:
        super().__init__("This ticket was sent to another e-mail address: sign in with that account.")


class ZoneNotSoldOut(TicketingError):
    """The zone has places left for the quantity asked: reserve them instead of joining its list."""

    def __init__(self, available: int) -> None:
        super().__init__(f"{available} places of this zone are left: reserve them instead.")
        self.available = available


class WaitlistEntryNotFound(TicketingError):
    """No such waiting-list entry, or another account's (they look the same)."""

    def __init__(self, entry_id: uuid.UUID | str) -> None:
        super().__init__(f"Waiting-list entry {entry_id} not found.")
