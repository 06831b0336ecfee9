"""In-memory fakes of notification_svc's ports, and factories, for unit tests of the handlers only."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from devstack.samples import catalog_message
from notification_svc.application.ports import (
    ChannelSender,
    Contact,
    Directory,
    Enclosure,
    Notifications,
    OrderTickets,
    RenderedMessage,
    Renderer,
    TicketDocuments,
    UnitOfWork,
)
from notification_svc.domain.commands import Actor
from notification_svc.domain.errors import RecipientUnavailable
from notification_svc.domain.model import Notification, NotificationStatus, RecipientRole
from taquilla_runtime.messaging.envelope import Envelope
from taquilla_runtime.principal import Principal, PrincipalKind, Role

NOW = dt.datetime(2027, 1, 10, 12, 0, tzinfo=dt.UTC)
ORGANIZER = Contact("organizer@example.org", "Olga", "es")
OPERATIONS = Contact("operations@example.org", "Operaciones", "en")
# The account a waiting list's offer is for.
CUSTOMER = Contact("rita@example.org", "Rita Prueba", "es")


def clock() -> dt.datetime:
    return NOW


def make_envelope(kind: str = "EventCreated", **event_overrides: Any) -> Envelope:
    """A whole catalog message as event_svc publishes it (devstack.samples, checked against the schema)."""
    return catalog_message(kind, **event_overrides)


def make_principal(role: Role | None = Role.ADMIN) -> Principal:
    """A caller as the edge sends it in gRPC metadata (for servicer tests)."""
    return Principal(subject=uuid.uuid4(), kind=PrincipalKind.USER, role=role)


def make_actor(*, admin: bool = True) -> Actor:
    """A caller as the handlers see it."""
    return Actor(subject=uuid.uuid4(), is_admin=admin)


class FakeNotifications(Notifications):
    def __init__(self, committed: dict[uuid.UUID, Notification], inbox: dict[uuid.UUID, Envelope]) -> None:
        self._committed = committed
        self._inbox = inbox
        self.pending: dict[uuid.UUID, Notification] = {}
        self.pending_inbox: dict[uuid.UUID, Envelope] = {}

    def _current(self) -> dict[uuid.UUID, Notification]:
        return self._committed | self.pending

    async def for_message(self, message_id: uuid.UUID, *, for_update: bool = False) -> Sequence[Notification]:
        found = [n for n in self._current().values() if n.message_id == message_id]
        return [copy.deepcopy(n) for n in sorted(found, key=lambda n: n.id)]

    async def add_all(self, envelope: Envelope, notifications: Sequence[Notification]) -> bool:
        if envelope.message_id in self._inbox or envelope.message_id in self.pending_inbox:
            return False
        self.pending_inbox[envelope.message_id] = envelope
        self.pending.update({n.id: copy.deepcopy(n) for n in notifications})
        return True

    async def envelope(self, message_id: uuid.UUID) -> Envelope | None:
        return self._inbox.get(message_id)

    async def get(self, notification_id: uuid.UUID, *, for_update: bool = False) -> Notification | None:
        notification = self._current().get(notification_id)
        return copy.deepcopy(notification) if notification is not None else None

    async def save(self, notification: Notification) -> None:
        self.pending[notification.id] = copy.deepcopy(notification)

    async def page(
        self,
        *,
        status: NotificationStatus | None,
        event_id: uuid.UUID | None,
        before: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Notification]:
        found = [
            n
            for n in self._committed.values()
            if (status is None or n.status is status)
            and (event_id is None or n.event_id == event_id)
            and (before is None or (n.created_at, n.id) < before)
        ]
        found.sort(key=lambda n: (n.created_at, n.id), reverse=True)
        return [copy.deepcopy(n) for n in found[:limit]]


class FakeUnitOfWork(UnitOfWork):
    """Keeps what was committed across transactions; everything else is dropped on rollback."""

    def __init__(self) -> None:
        self.stored: dict[uuid.UUID, Notification] = {}
        self.inbox: dict[uuid.UUID, Envelope] = {}
        self.commits = 0
        self._begin()

    def _begin(self) -> None:
        self.notifications = FakeNotifications(self.stored, self.inbox)

    async def __aenter__(self) -> FakeUnitOfWork:
        self._begin()
        return self

    async def commit(self) -> None:
        assert isinstance(self.notifications, FakeNotifications)
        self.stored.update(copy.deepcopy(self.notifications.pending))
        self.inbox.update(self.notifications.pending_inbox)
        self.commits += 1
        self._begin()

    async def rollback(self) -> None:
        self._begin()

    def statuses(self, envelope: Envelope) -> list[tuple[RecipientRole, NotificationStatus, int]]:
        """(recipient, status, attempts) of the message's committed notifications."""
        found = sorted(
            (n for n in self.stored.values() if n.message_id == envelope.message_id), key=lambda n: n.id
        )
        return [(n.recipient_role, n.status, n.attempts) for n in found]


class FakeDirectory(Directory):
    """The organizer and operations mailboxes, the buyer the order names, the account an offer is
    for; ``unavailable`` roles cannot be reached."""

    def __init__(self, *, unavailable: Sequence[RecipientRole] = ()) -> None:
        self.unavailable = set(unavailable)

    async def contact(self, role: RecipientRole, payload: dict[str, Any]) -> Contact:
        if role in self.unavailable:
            raise RecipientUnavailable(f"the {role.value} is inactive")
        if role is RecipientRole.BUYER:
            buyer = payload["order"]["buyer"]
            return Contact(buyer["email"], buyer["name"], buyer["locale"])
        if role in (RecipientRole.SENDER, RecipientRole.RECIPIENT):
            party = payload["transfer"][role.value]
            return Contact(party["email"], party["name"], party["locale"])
        if role is RecipientRole.CUSTOMER:
            return CUSTOMER
        return ORGANIZER if role is RecipientRole.ORGANIZER else OPERATIONS


class FakeTicketDocuments(TicketDocuments):
    """An order's PDF and a QR code per ticket; raises the scripted ``failures`` first, one per call."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.asked: list[tuple[str, list[str]]] = []

    async def for_order(self, order_id: str, ticket_ids: Sequence[str]) -> OrderTickets:
        self.asked.append((order_id, list(ticket_ids)))
        if self.failures:
            raise self.failures.pop(0)
        return OrderTickets(
            Enclosure(b"%PDF-1.4 fake", "application/pdf", f"taquilla-order-{order_id}.pdf"),
            {
                i: Enclosure(f"png of {i}".encode(), "image/png", f"ticket-{i}.png", f"qr-{i}@test")
                for i in ticket_ids
            },
        )


class FakeRenderer(Renderer):
    def __init__(self) -> None:
        self.contexts: list[dict[str, Any]] = []

    def render(self, message_type: str, locale: str, context: dict[str, Any]) -> RenderedMessage:
        self.contexts.append(context)
        subject = f"{message_type}:{locale}:{context['event']['name']}"
        return RenderedMessage(subject=subject, text=subject, html=f"<p>{subject}</p>")


class FakeChannel(ChannelSender):
    """Records what it sends; raises the scripted ``failures`` first, one per send."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.sent: list[tuple[uuid.UUID, str, str]] = []
        self.messages: list[RenderedMessage] = []

    async def send(self, notification: Notification, contact: Contact, message: RenderedMessage) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((notification.id, contact.address, message.subject))
        self.messages.append(message)
