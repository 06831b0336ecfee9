"""What callers ask ticketing to do (imperative), with their raw inputs.

Commands carry the verified caller (:class:`Actor`) where there is one, and the request's
correlation id, which the messages the command causes carry on.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass
from decimal import Decimal

from ticketing_svc.domain.checkins import Scan, ScanType
from ticketing_svc.domain.model import CatalogEvent, ItemRequest, ReservationStatus, SessionUpdate
from ticketing_svc.domain.orders import OrderStatus
from ticketing_svc.domain.reports import CheckInMove, OrderLine, ReportQuery, SoldTicket, WaitlistMove


class ActorKind(enum.StrEnum):
    USER = "user"
    CLIENT = "client"
    SERVICE = "service"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking, as the edge verified it."""

    subject: uuid.UUID
    kind: ActorKind = ActorKind.USER
    # "admin", "organizer", "customer", "staff" for people; the organization they act for, if any.
    role: str | None = None
    organization_id: uuid.UUID | None = None

    @property
    def is_user(self) -> bool:
        return self.kind is ActorKind.USER

    @property
    def is_admin(self) -> bool:
        return self.is_user and self.role == "admin"

    @property
    def is_service(self) -> bool:
        return self.kind is ActorKind.SERVICE

    def admits_at(self, organization_id: uuid.UUID) -> bool:
        """An admin, or door staff or an organizer of the organization (check-in)."""
        return self.is_admin or (
            self.is_user and self.role in ("organizer", "staff") and self.organization_id == organization_id
        )

    def manages(self, organization_id: uuid.UUID) -> bool:
        """An admin, or an organizer of the organization."""
        return self.is_admin or (
            self.is_user and self.role == "organizer" and self.organization_id == organization_id
        )


@dataclass(frozen=True, slots=True)
class Idempotency:
    """A client's Idempotency-Key with a fingerprint of the request it came with."""

    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Reserve:
    actor: Actor | None
    session_id: uuid.UUID
    items: tuple[ItemRequest, ...]
    correlation_id: str | None = None
    idempotency: Idempotency | None = None
    # The waiting room's admission, for gated sales.
    admission: str | None = None


@dataclass(frozen=True, slots=True)
class GetReservation:
    actor: Actor | None
    reservation_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ListReservations:
    actor: Actor | None
    limit: int = 20
    # (created_at ISO string, id) of the last reservation of the previous page.
    after: tuple[str, uuid.UUID] | None = None
    statuses: tuple[ReservationStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class ReleaseReservation:
    actor: Actor | None
    reservation_id: uuid.UUID
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class ExpireReservations:
    """Ends the holds whose time ran out, up to ``limit`` of them."""

    limit: int = 200


@dataclass(frozen=True, slots=True)
class GetAvailability:
    event_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class GetEventsAvailability:
    """Availability of several events at once; the raw ids as they came."""

    event_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CountTaken:
    actor: Actor | None
    event_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class FollowCatalog:
    """One message of taquilla.events.v1: the whole event as it is now, or one of its sessions."""

    message_id: uuid.UUID
    message_type: str
    event_id: uuid.UUID
    event: CatalogEvent | None = None
    session: SessionUpdate | None = None


@dataclass(frozen=True, slots=True)
class JoinQueue:
    actor: Actor | None
    event_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class GetQueueStanding:
    actor: Actor | None
    queue_id: uuid.UUID


# ---------------------------------------------------------------- orders, payments and tickets


@dataclass(frozen=True, slots=True)
class CreateOrder:
    actor: Actor | None
    reservation_id: uuid.UUID
    buyer_name: str
    buyer_email: str
    buyer_locale: str | None
    # Where the provider's page sends the buyer back; {ORDER_ID} is replaced by the order's id.
    return_url: str | None = None
    correlation_id: str | None = None
    idempotency: Idempotency | None = None


@dataclass(frozen=True, slots=True)
class GetOrder:
    actor: Actor | None
    order_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ListMyOrders:
    actor: Actor | None
    limit: int = 20
    after: tuple[str, uuid.UUID] | None = None
    statuses: tuple[OrderStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class ListEventOrders:
    actor: Actor | None
    event_id: uuid.UUID
    query: str | None = None
    statuses: tuple[OrderStatus, ...] = ()
    limit: int = 20
    after: tuple[str, uuid.UUID] | None = None
    # Also count every order the filters match (for an export's progress).
    count: bool = False


@dataclass(frozen=True, slots=True)
class HandlePaymentNotice:
    """A provider's notification (signature verified by the edge): only its ids are trusted; the
    payment's state is re-read from the provider."""

    actor: Actor | None
    provider: str
    notice_id: str
    notice_type: str
    object_id: str
    order_id: uuid.UUID | None = None
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReconcilePayments:
    """Asks the provider about up to ``limit`` orders without an outcome for ``after_minutes``."""

    after_minutes: float = 5
    limit: int = 50


@dataclass(frozen=True, slots=True)
class ProcessRefunds:
    """Sends the refunds not yet confirmed to the provider (again: its idempotency key is theirs)."""

    limit: int = 20


@dataclass(frozen=True, slots=True)
class ListMyTickets:
    actor: Actor | None
    limit: int = 20
    after: tuple[str, uuid.UUID] | None = None


@dataclass(frozen=True, slots=True)
class GetTicket:
    actor: Actor | None
    ticket_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class AdvanceCancellations:
    """Requests the refunds of cancelled events' paid orders, up to ``batch`` orders per event."""

    events: int = 5
    batch: int = 50


@dataclass(frozen=True, slots=True)
class GetEventRefunds:
    actor: Actor | None
    event_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class RefundOrder:
    """Refunds given tickets of a paid order (revoking them) or an amount of it."""

    actor: Actor | None
    order_id: uuid.UUID
    ticket_ids: tuple[uuid.UUID, ...] = ()
    amount: str | None = None
    currency: str | None = None
    reason: str = ""
    idempotency: Idempotency | None = None
    correlation_id: str | None = None


# ---------------------------------------------------------------- check-in


@dataclass(frozen=True, slots=True)
class CheckIn:
    actor: Actor | None
    secret: str
    session_id: uuid.UUID
    device_id: str
    nonce: str
    type: ScanType
    # None: now (an online scan).
    scanned_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class CheckInBatch:
    actor: Actor | None
    session_id: uuid.UUID
    device_id: str
    scans: tuple[Scan, ...]


@dataclass(frozen=True, slots=True)
class GetCheckInPack:
    actor: Actor | None
    session_id: uuid.UUID
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class ListCheckInConflicts:
    actor: Actor | None
    event_id: uuid.UUID


# ---------------------------------------------------------------- ticket transfers
# The parties' names, addresses and languages are their accounts', as the edge read them from
# identity_svc (never from a request body).


@dataclass(frozen=True, slots=True)
class OfferTransfer:
    actor: Actor | None
    ticket_id: uuid.UUID
    email: str
    sender_name: str = ""
    sender_email: str = ""
    sender_locale: str | None = None
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class JoinWaitlist:
    actor: Actor | None
    session_id: uuid.UUID
    zone_id: uuid.UUID
    quantity: int
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class GetTransfer:
    actor: Actor | None
    transfer_id: uuid.UUID
    token: str = ""
    account_email: str = ""


@dataclass(frozen=True, slots=True)
class AcceptTransfer:
    actor: Actor | None
    transfer_id: uuid.UUID
    token: str
    recipient_name: str = ""
    recipient_email: str = ""
    recipient_locale: str | None = None
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class ListMyWaitlist:
    actor: Actor | None


@dataclass(frozen=True, slots=True)
class LeaveWaitlist:
    actor: Actor | None
    entry_id: uuid.UUID
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class CancelTransfer:
    actor: Actor | None
    transfer_id: uuid.UUID
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class GetWaitlistLengths:
    """The length of every waiting list of an event, for its organizer or an admin."""

    actor: Actor | None
    event_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class PaidOrder:
    currency: str
    lines: tuple[OrderLine, ...]
    paid_at: dt.datetime
    tickets: tuple[SoldTicket, ...]


@dataclass(frozen=True, slots=True)
class ConfirmedRefund:
    currency: str
    lines: tuple[OrderLine, ...]
    amount: Decimal
    ticket_ids: tuple[uuid.UUID, ...]
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class ProjectReport:
    """Fold one message of taquilla.ticketing.v1 into the report counters, once (by message id).
    A message of no interest to the reports carries nothing and is only recorded."""

    message_id: uuid.UUID
    message_type: str
    event_id: uuid.UUID
    session_id: uuid.UUID
    paid: PaidOrder | None = None
    refund: ConfirmedRefund | None = None
    tickets: tuple[SoldTicket, ...] = ()
    checkin: CheckInMove | None = None
    waitlist: WaitlistMove | None = None


@dataclass(frozen=True, slots=True)
class GetEventReport:
    """An event's report, for its organization's organizers and admins."""

    actor: Actor | None
    event_id: uuid.UUID
    query: ReportQuery


@dataclass(frozen=True, slots=True)
class GetOrganizationReport:
    """The report of an organization's events together, for its organizers and admins."""

    actor: Actor | None
    organization_id: uuid.UUID
    query: ReportQuery


@dataclass(frozen=True, slots=True)
class ListEventAttendees:
    """A page of an event's tickets with their buyers (keyset on the ticket id), for the organizer."""

    actor: Actor | None
    event_id: uuid.UUID
    limit: int = 500
    after: uuid.UUID | None = None
