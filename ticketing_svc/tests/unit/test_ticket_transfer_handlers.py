"""Ticket transfers against in-memory fakes: offering a ticket, taking it (the old QR revoked, a new
one issued once), cancelling, and every refusal."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
from ticketing_factories import NOW, buyer, catalog_payload, make_event
from ticketing_fakes import FakePaymentProvider, FakeSigner, FakeUnitOfWork

from ticketing_svc.adapters.outbox import envelope_for
from ticketing_svc.adapters.repository import event_document, event_from_document
from ticketing_svc.application import handlers, order_handlers, transfer_handlers
from ticketing_svc.domain import commands
from ticketing_svc.domain.commands import Actor, ActorKind
from ticketing_svc.domain.errors import (
    InvalidInput,
    NotTheRecipient,
    TicketNotFound,
    TicketNotTransferable,
    TransferClosed,
    TransferNotFound,
    Unauthenticated,
)
from ticketing_svc.domain.events import TicketTransferOffered, TicketTransferred
from ticketing_svc.domain.model import ItemRequest, SaleSettings
from ticketing_svc.domain.orders import Ticket, TicketStatus
from ticketing_svc.domain.transfers import TRANSFER_DAYS, TransferStatus
from ticketing_svc.entrypoints.catalog_messages import event_from

pytestmark = pytest.mark.asyncio(loop_scope="session")
EDGE = Actor(uuid.uuid5(uuid.NAMESPACE_URL, "taquilla:service:edge"), ActorKind.SERVICE)
RECIPIENT_EMAIL = "Bruno@Example.com"
CORRELATION = str(uuid.uuid4())


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


class Box:
    """One paid order of two tickets for ``sender``, and a recipient with an account."""

    def __init__(self, *, transfers_allowed: bool = True) -> None:
        self.event = make_event(settings=SaleSettings(transfers_allowed=transfers_allowed))
        self.clock = Clock()
        self.uow = FakeUnitOfWork(clock=self.clock)
        self.provider = FakePaymentProvider()
        self.signer = FakeSigner()
        self.sender = buyer()
        self.recipient = buyer()

    @classmethod
    async def paid(cls, **kwargs: bool) -> tuple[Box, list[Ticket]]:
        box = cls(**kwargs)
        message = commands.FollowCatalog(uuid.uuid4(), "EventPublished", box.event.id, event=box.event)
        assert await handlers.follow_catalog(message, box.uow)
        reservation = await handlers.reserve(
            commands.Reserve(box.sender, box.event.sessions[0].id, (ItemRequest(box.event.zones[0].id, 2),)),
            box.uow,
            box.clock,
        )
        order = await order_handlers.create_order(
            commands.CreateOrder(box.sender, reservation.id, "Ana Núñez", "ana@example.com", "es"),
            box.uow,
            box.clock,
            provider=box.provider,
        )
        assert order.payment_reference is not None
        box.provider.succeed(order.payment_reference)
        await order_handlers.handle_payment_notice(
            commands.HandlePaymentNotice(
                EDGE, "stripe", "evt_1", "checkout.session.completed", order.payment_reference, order.id
            ),
            box.uow,
            box.clock,
            provider=box.provider,
            signer=box.signer,
        )
        return box, box.uow.tickets_of(order.id)

    async def offer(
        self, ticket: Ticket, email: str = RECIPIENT_EMAIL, actor: Actor | None = None
    ) -> transfer_handlers.TransferView:
        return await transfer_handlers.offer_transfer(
            commands.OfferTransfer(
                actor or self.sender, ticket.id, email, "Ana Núñez", "ana@example.com", "es", CORRELATION
            ),
            self.uow,
            self.clock,
        )

    def token(self) -> str:
        offered = [m for m, _ in self.uow.messages if isinstance(m, TicketTransferOffered)]
        return offered[-1].token

    async def accept(
        self,
        transfer_id: uuid.UUID,
        token: str,
        *,
        actor: Actor | None = None,
        email: str = "bruno@example.com",
    ) -> transfer_handlers.TransferView:
        return await transfer_handlers.accept_transfer(
            commands.AcceptTransfer(
                actor or self.recipient, transfer_id, token, "Bruno Díaz", email, "en", CORRELATION
            ),
            self.uow,
            self.clock,
            signer=self.signer,
        )


async def test_an_offer_is_kept_pending_and_tells_the_recipient_a_secret_link() -> None:
    box, tickets = await Box.paid()

    view = await box.offer(tickets[0])

    transfer = box.uow.committed.transfers[view.transfer.id]
    assert transfer.status is TransferStatus.PENDING
    assert transfer.recipient_email == RECIPIENT_EMAIL
    assert transfer.from_customer == box.sender.subject
    assert transfer.expires_at == NOW + dt.timedelta(days=TRANSFER_DAYS)
    token = box.token()
    assert len(token) >= 40
    assert transfer.token_hash != token  # only its hash is kept
    envelope, _ = envelope_for(
        next(m for m, _ in box.uow.messages if isinstance(m, TicketTransferOffered)), CORRELATION
    )
    assert envelope.type == "TicketTransferOffered"
    assert envelope.payload["token"] == token
    assert envelope.payload["transfer"]["recipient"]["email"] == RECIPIENT_EMAIL
    assert "secret" not in envelope.payload["ticket"]


async def test_accepting_revokes_the_old_ticket_and_issues_a_new_one_to_the_recipient() -> None:
    box, tickets = await Box.paid()
    view = await box.offer(tickets[0])

    accepted = await box.accept(view.transfer.id, box.token())

    old = box.uow.committed.tickets[tickets[0].id]
    new = accepted.ticket
    assert old.status is TicketStatus.REVOKED
    assert old.revoked_reason == "transferred"
    assert new.id != old.id
    assert new.secret != old.secret
    assert new.customer_id == box.recipient.subject
    assert new.holder_name == "Bruno Díaz"
    assert new.status is TicketStatus.VALID
    assert box.signer.claims(new.secret).ticket_id == new.id
    assert accepted.status is TransferStatus.ACCEPTED
    assert box.uow.committed.transfers[view.transfer.id].accepted_by == box.recipient.subject
    assert box.uow.places_of(box.event.id, box.sender.subject) == 1
    assert box.uow.places_of(box.event.id, box.recipient.subject) == 1
    transferred = [m for m, _ in box.uow.messages if isinstance(m, TicketTransferred)]
    assert len(transferred) == 1
    payload = envelope_for(transferred[0], None)[0].payload
    assert payload["transfer"]["sender"]["email"] == "ana@example.com"
    assert payload["transfer"]["recipient"]["email"] == "bruno@example.com"
    assert payload["ticket"]["id"] == str(new.id)


async def test_accepting_twice_issues_one_new_ticket() -> None:
    box, tickets = await Box.paid()
    view = await box.offer(tickets[0])
    token = box.token()

    first = await box.accept(view.transfer.id, token)
    second = await box.accept(view.transfer.id, token)

    assert second.ticket.id == first.ticket.id
    assert len(box.uow.committed.tickets) == 3
    assert len([m for m, _ in box.uow.messages if isinstance(m, TicketTransferred)]) == 1


async def test_the_recipient_sees_the_new_ticket_and_the_sender_the_old_one_revoked() -> None:
    box, tickets = await Box.paid()
    view = await box.offer(tickets[0])
    accepted = await box.accept(view.transfer.id, box.token())

    mine = await order_handlers.list_my_tickets(commands.ListMyTickets(box.recipient), box.uow)
    theirs = await order_handlers.list_my_tickets(commands.ListMyTickets(box.sender), box.uow)

    assert [t.id for t in mine.tickets] == [accepted.ticket.id]
    statuses = {t.id: (t.status, t.revoked_reason) for t in theirs.tickets}
    assert statuses[tickets[0].id] == (TicketStatus.REVOKED, "transferred")
    with pytest.raises(TicketNotFound):
        await order_handlers.get_ticket(commands.GetTicket(box.sender, accepted.ticket.id), box.uow)
    seen = await order_handlers.get_ticket(commands.GetTicket(box.recipient, accepted.ticket.id), box.uow)
    assert seen.secret == accepted.ticket.secret


async def test_a_wrong_token_or_another_account_cannot_take_the_ticket() -> None:
    box, tickets = await Box.paid()
    view = await box.offer(tickets[0])
    token = box.token()

    with pytest.raises(TransferNotFound):
        await box.accept(view.transfer.id, token + "x")
    with pytest.raises(NotTheRecipient):
        await box.accept(view.transfer.id, token, actor=buyer(), email="eve@example.com")
    with pytest.raises(Unauthenticated):
        await transfer_handlers.accept_transfer(
            commands.AcceptTransfer(None, view.transfer.id, token), box.uow, box.clock, signer=box.signer
        )
    assert box.uow.committed.tickets[tickets[0].id].status is TicketStatus.VALID


@pytest.mark.parametrize(
    ("status", "problem"), [(TicketStatus.USED, "ticket-used"), (TicketStatus.REVOKED, "ticket-revoked")]
)
async def test_a_used_or_revoked_ticket_is_not_sent(status: TicketStatus, problem: str) -> None:
    box, tickets = await Box.paid()
    box.uow.committed.tickets[tickets[0].id] = dataclasses.replace(tickets[0], status=status)

    with pytest.raises(TicketNotTransferable) as refused:
        await box.offer(tickets[0])

    assert refused.value.reason == problem
    assert not box.uow.committed.transfers


async def test_a_ticket_used_after_the_offer_is_not_taken() -> None:
    box, tickets = await Box.paid()
    view = await box.offer(tickets[0])
    box.uow.committed.tickets[tickets[0].id] = dataclasses.replace(tickets[0], status=TicketStatus.USED)

    with pytest.raises(TicketNotTransferable) as refused:
        await box.accept(view.transfer.id, box.token())

    assert refused.value.reason == "ticket-used"
    assert len(box.uow.committed.tickets) == 2


async def test_tickets_of_an_event_without_transfers_are_not_sent() -> None:
    box, tickets = await Box.paid(transfers_allowed=False)

    with pytest.raises(TicketNotTransferable) as refused:
        await box.offer(tickets[0])

    assert refused.value.reason == "transfers-disabled"


async def test_a_ticket_with_a_pending_transfer_is_not_sent_again_until_it_expires() -> None:
    box, tickets = await Box.paid()
    first = await box.offer(tickets[0])

    with pytest.raises(TicketNotTransferable) as refused:
        await box.offer(tickets[0], "carla@example.com")
    assert refused.value.reason == "transfer-pending"
    assert refused.value.transfer_id == first.transfer.id

    box.clock.now += dt.timedelta(days=TRANSFER_DAYS, seconds=1)
    again = await box.offer(tickets[0], "carla@example.com")
    assert box.uow.committed.transfers[first.transfer.id].status is TransferStatus.EXPIRED
    assert again.transfer.status is TransferStatus.PENDING


async def test_an_expired_offer_is_not_taken() -> None:
    box, tickets = await Box.paid()
    view = await box.offer(tickets[0])
    box.clock.now += dt.timedelta(days=TRANSFER_DAYS)

    with pytest.raises(TransferClosed) as refused:
        await box.accept(view.transfer.id, box.token())

    assert refused.value.status == "expired"


async def test_only_the_holder_sends_a_ticket_and_never_to_themselves() -> None:
    box, tickets = await Box.paid()

    with pytest.raises(TicketNotFound):
        await box.offer(tickets[0], actor=box.recipient)
    with pytest.raises(InvalidInput):
        await box.offer(tickets[0], "ANA@example.com")
    with pytest.raises(InvalidInput):
        await box.offer(tickets[0], "not an address")


async def test_the_sender_cancels_a_pending_transfer_and_its_link_no_longer_works() -> None:
    box, tickets = await Box.paid()
    view = await box.offer(tickets[0])

    with pytest.raises(TransferNotFound):
        await transfer_handlers.cancel_transfer(
            commands.CancelTransfer(box.recipient, view.transfer.id), box.uow, box.clock
        )
    cancelled = await transfer_handlers.cancel_transfer(
        commands.CancelTransfer(box.sender, view.transfer.id), box.uow, box.clock
    )

    assert cancelled.status is TransferStatus.CANCELLED
    with pytest.raises(TransferClosed):
        await box.accept(view.transfer.id, box.token())
    with pytest.raises(TransferClosed):
        await transfer_handlers.cancel_transfer(
            commands.CancelTransfer(box.sender, view.transfer.id), box.uow, box.clock
        )


async def test_a_transfer_is_seen_by_its_sender_and_by_the_recipient_with_the_link() -> None:
    box, tickets = await Box.paid()
    view = await box.offer(tickets[0])
    token = box.token()

    def get(actor: Actor, token: str = "", email: str = "") -> commands.GetTransfer:
        return commands.GetTransfer(actor, view.transfer.id, token, email)

    assert (await transfer_handlers.get_transfer(get(box.sender), box.uow)).transfer.id == view.transfer.id
    seen = await transfer_handlers.get_transfer(get(box.recipient, token, "bruno@example.com"), box.uow)
    assert seen.ticket.zone_name == tickets[0].zone_name
    with pytest.raises(TransferNotFound):
        await transfer_handlers.get_transfer(get(box.recipient, "", "bruno@example.com"), box.uow)
    with pytest.raises(NotTheRecipient):
        await transfer_handlers.get_transfer(get(buyer(), token, "eve@example.com"), box.uow)


@pytest.mark.parametrize(("sent", "allowed"), [(None, True), (True, True), (False, False)])
async def test_the_catalogs_sales_transfers_allowed_is_read_and_kept(
    sent: bool | None, allowed: bool
) -> None:
    payload = catalog_payload(make_event())
    if sent is not None:
        payload["sales"]["transfersAllowed"] = sent

    event = event_from(payload)

    assert event.settings.transfers_allowed is allowed
    assert event_from_document(event_document(event)).settings.transfers_allowed is allowed


async def test_the_buyers_order_lists_the_tickets_still_theirs_and_the_organizer_sees_all() -> None:
    box, tickets = await Box.paid()
    view = await box.offer(tickets[0])
    accepted = await box.accept(view.transfer.id, box.token())
    order_id = tickets[0].order_id
    organizer = Actor(
        uuid.uuid4(), ActorKind.USER, role="organizer", organization_id=box.event.organization_id
    )

    mine = await order_handlers.get_order(commands.GetOrder(box.sender, order_id), box.uow)
    managed = await order_handlers.get_order(commands.GetOrder(organizer, order_id), box.uow)

    assert set(mine.ticket_ids) == {tickets[0].id, tickets[1].id}
    assert set(managed.ticket_ids) == {tickets[0].id, tickets[1].id, accepted.ticket.id}
