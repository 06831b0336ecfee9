"""Ticket transfers against a real PostgreSQL: taking a ticket revokes the old one and issues a new
one once, even when two requests take it at the same moment; the refusals; cancelling."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from test_orders_payments import RING, on_sale, paid_order
from ticketing_factories import buyer, make_event

from devstack.infra import PaymentSimulator
from ticketing_svc.adapters.orm import outbox, ticket_transfers, tickets
from ticketing_svc.adapters.payments import StripePaymentProvider
from ticketing_svc.adapters.tickets import KeyRingSigner
from ticketing_svc.bootstrap import UseCases
from ticketing_svc.domain import commands
from ticketing_svc.domain.commands import Actor
from ticketing_svc.domain.errors import TicketNotTransferable, TransferClosed, TransferNotFound
from ticketing_svc.domain.model import SaleSettings
from ticketing_svc.domain.orders import Ticket, TicketStatus
from ticketing_svc.domain.transfers import TransferStatus

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def shop(ticketing_engine: AsyncEngine, psp_simulator: PaymentSimulator) -> Callable[..., UseCases]:
    def build(clock: Callable[[], object]) -> UseCases:
        return UseCases(
            ticketing_engine,
            catalog=None,
            clock=clock,  # type: ignore[arg-type]
            provider=StripePaymentProvider(psp_simulator.secret_key, api_base=psp_simulator.url),
            signer=KeyRingSigner(RING),
        )

    return build


class Transfers:
    def __init__(self, use_cases: UseCases, engine: AsyncEngine) -> None:
        self.use_cases = use_cases
        self.engine = engine

    async def offer(self, sender: Actor, ticket: Ticket, email: str = "bruno@example.com") -> uuid.UUID:
        view = await self.use_cases.offer_transfer(
            commands.OfferTransfer(sender, ticket.id, email, "Ana Núñez", "ana@example.com", "es")
        )
        return view.transfer.id

    async def token(self, transfer_id: uuid.UUID) -> str:
        async with self.engine.connect() as connection:
            envelopes = (await connection.execute(select(outbox.c.envelope))).scalars().all()
        return next(
            e["payload"]["token"]
            for e in envelopes
            if e["type"] == "TicketTransferOffered" and e["payload"]["transfer"]["id"] == str(transfer_id)
        )

    def accept(self, recipient: Actor, transfer_id: uuid.UUID, token: str) -> commands.AcceptTransfer:
        return commands.AcceptTransfer(recipient, transfer_id, token, "Bruno Díaz", "bruno@example.com", "en")

    async def set_status(self, ticket_id: uuid.UUID, status: TicketStatus) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                update(tickets).where(tickets.c.id == ticket_id).values(status=status.value)
            )


async def sold(
    shop_for: Callable[..., UseCases],
    clock: object,
    engine: AsyncEngine,
    simulator: PaymentSimulator,
    *,
    transfers_allowed: bool = True,
) -> tuple[Transfers, Actor, list[Ticket]]:
    use_cases = shop_for(clock)
    event = make_event(capacity=5, settings=SaleSettings(transfers_allowed=transfers_allowed))
    if transfers_allowed:
        await on_sale(use_cases, event)
    else:  # the catalog's message with sales.transfersAllowed = false, as parsed
        await use_cases.follow_catalog(
            commands.FollowCatalog(uuid.uuid4(), "EventPublished", event.id, event=event)
        )
    customer, order = await paid_order(use_cases, simulator, event, 2)
    issued = [
        await use_cases.get_ticket(commands.GetTicket(customer, ticket_id)) for ticket_id in order.ticket_ids
    ]
    return Transfers(use_cases, engine), customer, issued


async def test_two_accepts_at_once_revoke_the_old_ticket_and_issue_one_new_one(
    shop, clock, ticketing_engine, psp_simulator
) -> None:
    transfers, sender, issued = await sold(shop, clock, ticketing_engine, psp_simulator)
    recipient = buyer()
    transfer_id = await transfers.offer(sender, issued[0])
    token = await transfers.token(transfer_id)

    first, second = await asyncio.gather(
        transfers.use_cases.accept_transfer(transfers.accept(recipient, transfer_id, token)),
        transfers.use_cases.accept_transfer(transfers.accept(recipient, transfer_id, token)),
    )

    assert first.ticket.id == second.ticket.id
    new = first.ticket
    async with ticketing_engine.connect() as connection:
        rows = {
            row.id: row
            for row in await connection.execute(
                select(tickets).where(tickets.c.order_id == issued[0].order_id)
            )
        }
        stored = (
            await connection.execute(select(ticket_transfers).where(ticket_transfers.c.id == transfer_id))
        ).one()
        messages = await connection.scalar(
            select(func.count())
            .select_from(outbox)
            .where(
                outbox.c.envelope["type"].astext == "TicketTransferred",
                outbox.c.envelope["payload"]["transfer"]["id"].astext == str(transfer_id),
            )
        )
    assert len(rows) == 3
    assert (rows[issued[0].id].status, rows[issued[0].id].revoked_reason) == ("revoked", "transferred")
    assert rows[new.id].status == "valid"
    assert rows[new.id].customer_id == recipient.subject
    assert rows[new.id].secret not in (issued[0].secret, issued[1].secret)
    assert (stored.status, stored.new_ticket_id, stored.accepted_by) == (
        "accepted",
        new.id,
        recipient.subject,
    )
    assert stored.token_hash != token
    assert messages == 1
    mine = await transfers.use_cases.list_my_tickets(commands.ListMyTickets(recipient))
    assert [t.id for t in mine.tickets] == [new.id]


async def test_used_revoked_disabled_and_already_pending_tickets_are_not_sent(
    shop, clock, ticketing_engine, psp_simulator
) -> None:
    transfers, sender, issued = await sold(shop, clock, ticketing_engine, psp_simulator)
    await transfers.set_status(issued[0].id, TicketStatus.USED)
    with pytest.raises(TicketNotTransferable) as used:
        await transfers.offer(sender, issued[0])
    assert used.value.reason == "ticket-used"

    await transfers.set_status(issued[0].id, TicketStatus.REVOKED)
    with pytest.raises(TicketNotTransferable) as revoked:
        await transfers.offer(sender, issued[0])
    assert revoked.value.reason == "ticket-revoked"
    await transfers.set_status(issued[0].id, TicketStatus.VALID)  # as it was: the books stay balanced

    pending = await transfers.offer(sender, issued[1])
    with pytest.raises(TicketNotTransferable) as twice:
        await transfers.offer(sender, issued[1], "carla@example.com")
    assert (twice.value.reason, twice.value.transfer_id) == ("transfer-pending", pending)

    closed, other, tickets_of_closed = await sold(
        shop, clock, ticketing_engine, psp_simulator, transfers_allowed=False
    )
    with pytest.raises(TicketNotTransferable) as disabled:
        await closed.offer(other, tickets_of_closed[0])
    assert disabled.value.reason == "transfers-disabled"


async def test_two_offers_of_one_ticket_at_once_leave_one_pending(
    shop, clock, ticketing_engine, psp_simulator
) -> None:
    transfers, sender, issued = await sold(shop, clock, ticketing_engine, psp_simulator)

    outcomes = await asyncio.gather(
        transfers.offer(sender, issued[0], "bruno@example.com"),
        transfers.offer(sender, issued[0], "carla@example.com"),
        return_exceptions=True,
    )

    assert sum(isinstance(o, uuid.UUID) for o in outcomes) == 1
    assert sum(isinstance(o, TicketNotTransferable) for o in outcomes) == 1


async def test_a_cancelled_transfer_cannot_be_taken(shop, clock, ticketing_engine, psp_simulator) -> None:
    transfers, sender, issued = await sold(shop, clock, ticketing_engine, psp_simulator)
    transfer_id = await transfers.offer(sender, issued[0])
    token = await transfers.token(transfer_id)

    with pytest.raises(TransferNotFound):
        await transfers.use_cases.cancel_transfer(commands.CancelTransfer(buyer(), transfer_id))
    cancelled = await transfers.use_cases.cancel_transfer(commands.CancelTransfer(sender, transfer_id))

    assert cancelled.status is TransferStatus.CANCELLED
    with pytest.raises(TransferClosed):
        await transfers.use_cases.accept_transfer(transfers.accept(buyer(), transfer_id, token))
    ticket = await transfers.use_cases.get_ticket(commands.GetTicket(sender, issued[0].id))
    assert ticket.status is TicketStatus.VALID
    # Cancelled, the ticket may be sent again.
    assert await transfers.offer(sender, issued[0], "carla@example.com") != transfer_id
