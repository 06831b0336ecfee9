"""Ticket transfers: one async function per command, each one transaction.

Locks are taken in one order everywhere (the order, then the ticket, then the transfer), as refunds
take the order before its tickets, so two requests about one ticket wait for each other instead of
deadlocking. Logs name ids only: never an address or a name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ticketing_svc.application.handlers import Clock, drain, person, system_clock
from ticketing_svc.application.order_handlers import ticket_valid_until
from ticketing_svc.application.ports import TicketSigner, UnitOfWork
from ticketing_svc.domain.commands import AcceptTransfer, CancelTransfer, GetTransfer, OfferTransfer
from ticketing_svc.domain.errors import NotTheRecipient, TicketNotFound, TransferClosed, TransferNotFound
from ticketing_svc.domain.orders import Ticket
from ticketing_svc.domain.transfers import (
    TRANSFERRED,
    Party,
    TicketTransfer,
    TransferStatus,
    new_token,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TransferView:
    """A transfer with the ticket it is about (the new one once accepted, for its recipient)."""

    transfer: TicketTransfer
    ticket: Ticket
    status: TransferStatus  # as of now: a pending offer past its time reads expired


async def offer_transfer(cmd: OfferTransfer, uow: UnitOfWork, clock: Clock = system_clock) -> TransferView:
    """Sends the caller's ticket to an e-mail address: a pending transfer, and a message for the
    recipient's e-mail with the link's token.

    Raises TicketNotFound (not the caller's), TicketNotTransferable, InvalidInput.
    """
    actor = person(cmd.actor, "send tickets")
    sender = Party.of(cmd.sender_name, cmd.sender_email, cmd.sender_locale)
    now = clock()
    async with uow:
        ticket = await uow.tickets.get(cmd.ticket_id, for_update=True)
        if ticket is None or ticket.customer_id != actor.subject:
            raise TicketNotFound(cmd.ticket_id)
        event = await uow.catalog.get(ticket.event_id)
        pending = await uow.transfers.pending_for(ticket.id)
        if pending is not None and pending.expire(now):
            await uow.transfers.save(pending)
            pending = None
        transfer = TicketTransfer.offer(
            ticket,
            sender=sender,
            recipient_email=cmd.email,
            transfers_allowed=event.settings.transfers_allowed if event is not None else True,
            pending=pending,
            token=new_token(),
            now=now,
        )
        await uow.transfers.add(transfer)
        await uow.outbox.add(drain(transfer), correlation_id=cmd.correlation_id)
        await uow.commit()
    log.info("ticket transfer offered", extra={"transfer_id": str(transfer.id), "ticket_id": str(ticket.id)})
    return TransferView(transfer, ticket, transfer.status)


async def get_transfer(cmd: GetTransfer, uow: UnitOfWork, clock: Clock = system_clock) -> TransferView:
    """A transfer for its sender, or for the signed-in recipient with the link's token.

    Raises TransferNotFound (anyone else, or a wrong token) and NotTheRecipient (the right link
    opened by an account with another e-mail address).
    """
    actor = person(cmd.actor, "see a ticket sent to you")
    async with uow:
        transfer = await uow.transfers.get(cmd.transfer_id)
        if transfer is None:
            raise TransferNotFound(cmd.transfer_id)
        if transfer.from_customer != actor.subject:
            if not cmd.token or not transfer.token_matches(cmd.token):
                raise TransferNotFound(cmd.transfer_id)
            if not transfer.is_for(cmd.account_email):
                raise NotTheRecipient
        shown = transfer.new_ticket_id if transfer.accepted_by == actor.subject else None
        ticket = await uow.tickets.get(shown or transfer.ticket_id)
    assert ticket is not None  # tickets are never deleted
    return TransferView(transfer, ticket, transfer.status_at(clock()))


async def accept_transfer(
    cmd: AcceptTransfer, uow: UnitOfWork, clock: Clock = system_clock, *, signer: TicketSigner
) -> TransferView:
    """Takes a ticket sent to the caller: the old ticket is revoked (transferred) and a new one, with
    a new id and a new signed secret, is issued to the caller, in one transaction. Taking it again
    (a repeated request, or two at once) answers with the same new ticket and changes nothing.

    Raises TransferNotFound, NotTheRecipient, TransferClosed, TicketNotTransferable.
    """
    actor = person(cmd.actor, "take a ticket sent to you")
    recipient = Party.of(cmd.recipient_name, cmd.recipient_email, cmd.recipient_locale)
    now = clock()
    async with uow:
        found = await uow.transfers.get(cmd.transfer_id)
        if found is None or not cmd.token or not found.token_matches(cmd.token):
            raise TransferNotFound(cmd.transfer_id)
        # Lock order: the order (refunds take it too), the ticket, then the transfer.
        order = await uow.orders.get(found.order_id, for_update=True)
        ticket = await uow.tickets.get(found.ticket_id, for_update=True)
        transfer = await uow.transfers.get(found.id, for_update=True)
        assert order is not None
        assert ticket is not None
        assert transfer is not None
        if transfer.status is TransferStatus.ACCEPTED:
            if transfer.accepted_by != actor.subject or transfer.new_ticket_id is None:
                raise TransferClosed(transfer.status.value)
            issued = await uow.tickets.get(transfer.new_ticket_id)
            assert issued is not None
            return TransferView(transfer, issued, transfer.status)
        event = await uow.catalog.get(ticket.event_id)
        issued = transfer.accept(
            ticket,
            recipient_id=actor.subject,
            recipient=recipient,
            transfers_allowed=event.settings.transfers_allowed if event is not None else True,
            valid_from=now,
            valid_until=ticket_valid_until(event, ticket.session_id, now),
            position=await uow.tickets.next_position(order.id),
            sign=signer.sign,
            now=now,
        )
        await uow.tickets.revoke([ticket.id], reason=TRANSFERRED)
        await uow.tickets.add([issued])
        # The place moves from the sender's tally to the recipient's (no limit: it is not a purchase).
        await uow.customers.subtract([(ticket.event_id, ticket.customer_id, 1)])
        await uow.customers.add(ticket.event_id, actor.subject, 1, limit=None)
        await uow.transfers.save(transfer)
        await uow.outbox.add(drain(transfer), correlation_id=cmd.correlation_id)
        await uow.commit()
    log.info(
        "ticket transferred",
        extra={"transfer_id": str(transfer.id), "ticket_id": str(ticket.id), "new_ticket_id": str(issued.id)},
    )
    return TransferView(transfer, issued, transfer.status)


async def cancel_transfer(cmd: CancelTransfer, uow: UnitOfWork, clock: Clock = system_clock) -> TransferView:
    """Withdraws a pending transfer, for its sender. Raises TransferNotFound, TransferClosed."""
    actor = person(cmd.actor, "cancel a transfer")
    now = clock()
    async with uow:
        found = await uow.transfers.get(cmd.transfer_id)
        if found is None or found.from_customer != actor.subject:
            raise TransferNotFound(cmd.transfer_id)
        ticket = await uow.tickets.get(found.ticket_id, for_update=True)
        transfer = await uow.transfers.get(found.id, for_update=True)
        assert ticket is not None
        assert transfer is not None
        transfer.cancel(now)
        await uow.transfers.save(transfer)
        await uow.commit()
    log.info("ticket transfer cancelled", extra={"transfer_id": str(transfer.id)})
    return TransferView(transfer, ticket, transfer.status)
