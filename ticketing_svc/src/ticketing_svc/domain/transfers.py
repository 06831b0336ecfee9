"""Ticket transfers: a holder sends a ticket to someone else's e-mail address.

The rules:

- only a valid ticket is sent: not one used at the door, nor a revoked one, nor one of an event whose
  organizer turned transfers off; a ticket has at most one pending transfer;
- the offer is taken by a signed-in person whose account's e-mail is the one named, with the secret
  token of the link the e-mail carries (only its hash is kept); an offer not taken within
  :data:`TRANSFER_DAYS` expires, and the sender may cancel it while it is pending;
- taking it revokes the old ticket (its QR admits nobody any more) and issues a new one, with a new
  id and a new signed secret, to the recipient, in the same transaction: once, however often it is
  asked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field

from ticketing_svc.domain.errors import (
    InvalidInput,
    NotTheRecipient,
    TicketNotTransferable,
    TransferClosed,
)
from ticketing_svc.domain.events import DomainEvent, TicketTransferOffered, TicketTransferred
from ticketing_svc.domain.orders import (
    EMAIL_MAX,
    LOCALES,
    NAME_MAX,
    SignTicket,
    Ticket,
    TicketClaims,
    TicketStatus,
)

TRANSFER_DAYS = 7
TRANSFERRED = "transferred"  # why the old ticket was revoked


class TransferStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


def new_token() -> str:
    """The secret of a transfer's link (256 bits); only its hash is stored."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normal_email(value: str) -> str:
    """E-mail addresses compare without case, as accounts' do."""
    return value.strip().lower()


def checked_email(value: str, field_name: str = "email") -> str:
    email = value.strip()
    local, _, domain = email.rpartition("@")
    if len(email) > EMAIL_MAX or not local or "." not in domain or any(c.isspace() for c in email):
        raise InvalidInput.single(field_name, "must be an e-mail address")
    return email


@dataclass(frozen=True, slots=True)
class Party:
    """One side of a transfer as its account names it (for the e-mails and the new ticket)."""

    name: str
    email: str
    locale: str = "es"

    @classmethod
    def of(cls, name: str, email: str, locale: str | None) -> Party:
        chosen = (locale or "es").lower()
        return cls(name.strip()[:NAME_MAX], email.strip()[:EMAIL_MAX], chosen if chosen in LOCALES else "es")


@dataclass(eq=False)
class TicketTransfer:
    id: uuid.UUID
    ticket_id: uuid.UUID
    order_id: uuid.UUID
    event_id: uuid.UUID
    event_name: str
    session_id: uuid.UUID
    from_customer: uuid.UUID
    sender: Party
    recipient_email: str
    token_hash: str
    status: TransferStatus
    created_at: dt.datetime
    expires_at: dt.datetime
    new_ticket_id: uuid.UUID | None = None
    accepted_at: dt.datetime | None = None
    accepted_by: uuid.UUID | None = None
    ended_at: dt.datetime | None = None  # cancelled or expired
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    @classmethod
    def offer(
        cls,
        ticket: Ticket,
        *,
        sender: Party,
        recipient_email: str,
        transfers_allowed: bool,
        pending: TicketTransfer | None,
        token: str,
        now: dt.datetime,
    ) -> TicketTransfer:
        """A pending transfer of the ticket to ``recipient_email``. Raises TicketNotTransferable
        (used, revoked, transfers turned off, one already pending) or InvalidInput."""
        email = checked_email(recipient_email)
        if ticket.status is TicketStatus.USED:
            raise TicketNotTransferable("ticket-used", "The ticket was used at the door: it cannot be sent.")
        if ticket.status is TicketStatus.REVOKED:
            raise TicketNotTransferable("ticket-revoked", "The ticket was revoked: it cannot be sent.")
        if not transfers_allowed:
            raise TicketNotTransferable(
                "transfers-disabled", "The organizer does not allow sending this event's tickets."
            )
        if pending is not None and pending.open(now):
            raise TicketNotTransferable(
                "transfer-pending",
                "The ticket is already on its way to someone: cancel that transfer first.",
                transfer_id=pending.id,
            )
        if normal_email(email) == normal_email(sender.email):
            raise InvalidInput.single("email", "is your own address: send the ticket to someone else")
        transfer = cls(
            id=uuid.uuid4(),
            ticket_id=ticket.id,
            order_id=ticket.order_id,
            event_id=ticket.event_id,
            event_name=ticket.event_name,
            session_id=ticket.session_id,
            from_customer=ticket.customer_id,
            sender=sender,
            recipient_email=email,
            token_hash=token_hash(token),
            status=TransferStatus.PENDING,
            created_at=now,
            expires_at=now + dt.timedelta(days=TRANSFER_DAYS),
        )
        transfer.events.append(TicketTransferOffered(transfer.snapshot(), ticket, token, occurred_at=now))
        return transfer

    def open(self, now: dt.datetime) -> bool:
        """Pending and not yet expired."""
        return self.status is TransferStatus.PENDING and now < self.expires_at

    def status_at(self, now: dt.datetime) -> TransferStatus:
        """The status as the parties see it: a pending offer past its time reads expired."""
        return (
            TransferStatus.EXPIRED
            if self.status is TransferStatus.PENDING and not self.open(now)
            else (self.status)
        )

    def is_for(self, email: str) -> bool:
        return normal_email(email) == normal_email(self.recipient_email)

    def token_matches(self, token: str) -> bool:
        return hmac.compare_digest(token_hash(token), self.token_hash)

    def _still_open(self, now: dt.datetime) -> None:
        status = self.status_at(now)
        if status is not TransferStatus.PENDING:
            raise TransferClosed(status.value)

    def accept(
        self,
        ticket: Ticket,
        *,
        recipient_id: uuid.UUID,
        recipient: Party,
        transfers_allowed: bool,
        valid_from: dt.datetime,
        valid_until: dt.datetime,
        position: int,
        sign: SignTicket,
        now: dt.datetime,
    ) -> Ticket:
        """The new ticket of the recipient; the caller revokes ``ticket`` in the same transaction.
        Raises TransferClosed, NotTheRecipient or TicketNotTransferable."""
        self._still_open(now)
        if not self.is_for(recipient.email):
            raise NotTheRecipient
        if not transfers_allowed:
            raise TicketNotTransferable(
                "transfers-disabled", "The organizer does not allow sending this event's tickets."
            )
        if ticket.status is not TicketStatus.VALID:
            reason = "ticket-used" if ticket.status is TicketStatus.USED else "ticket-revoked"
            raise TicketNotTransferable(reason, f"The ticket is {ticket.status.value}: it cannot be sent.")
        new_id = uuid.uuid4()
        claims = TicketClaims(new_id, ticket.session_id, ticket.zone_id, valid_from, valid_until)
        issued = dataclasses.replace(
            ticket,
            id=new_id,
            customer_id=recipient_id,
            holder_name=recipient.name or recipient.email,
            status=TicketStatus.VALID,
            issued_at=now,
            secret=sign(claims),
            position=position,
            revoked_reason=None,
        )
        self.status, self.new_ticket_id = TransferStatus.ACCEPTED, new_id
        self.accepted_at, self.accepted_by = now, recipient_id
        self.events.append(TicketTransferred(self.snapshot(), issued, recipient, occurred_at=now))
        return issued

    def cancel(self, now: dt.datetime) -> None:
        """Withdrawn by the sender while pending. Raises TransferClosed."""
        self._still_open(now)
        self.status, self.ended_at = TransferStatus.CANCELLED, now

    def expire(self, now: dt.datetime) -> bool:
        """Marks a pending offer past its time expired; False when there was nothing to mark."""
        if self.status is not TransferStatus.PENDING or self.open(now):
            return False
        self.status, self.ended_at = TransferStatus.EXPIRED, now
        return True

    def snapshot(self) -> TicketTransfer:
        return dataclasses.replace(self, events=[])
