"""In-memory fakes of notification_svc's ports, and factories, for unit tests of the handlers only."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

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


def clock() -> dt.datetime:
    return NOW


def make_envelope(kind: str = "EventCreated", **event_overrides: Any) -> Envelope:
    """A catalog message as event_svc publishes it: the whole event, as the schema of
    taquilla.events.v1 defines it (test_catalog_messages_match_the_schema checks every kind)."""
    event_id = str(uuid.uuid4())
    status = {"EventCreated": "draft", "EventCancelled": "cancelled"}.get(kind, "published")
    event: dict[str, Any] = {
        "id": event_id,
        "organizationId": str(uuid.uuid4()),
        "createdBy": str(uuid.uuid4()),
        "name": "Noche de Jazz",
        "category": "concert",
        "status": status,
        "startsAt": "2027-05-01T01:00:00Z",
        "endsAt": "2027-05-01T04:00:00Z",
        "timezone": "Europe/Madrid",
        "venue": {
            "name": "Sala",
            "city": "Madrid",
            "address": "Calle 1",
            "latitude": None,
            "longitude": None,
        },
        "imageUrl": None,
        "capacity": 100,
        "version": 1,
        "zones": [
            {
                "id": str(uuid.uuid4()),
                "name": "General",
                "price": {"amount": "25.50", "currency": "EUR"},
                "capacity": 100,
                "maxPerOrder": 10,
            }
        ],
        "sales": {
            "onSaleAt": None,
            "holdMinutes": 10,
            "maxPerCustomer": None,
            "waitingRoom": False,
            "admissionPerMinute": 300,
        },
        "sessions": [
            {
                "id": str(uuid.uuid4()),
                "title": "",
                "startsAt": "2027-05-01T01:00:00Z",
                "endsAt": "2027-05-01T04:00:00Z",
                "place": "",
                "status": "draft" if status == "draft" else "on_sale",
                "capacity": 100,
                "removed": False,
            }
        ],
        "publishedAt": None if status == "draft" else "2027-01-10T12:00:00Z",
        "cancelledAt": "2027-01-11T12:00:00Z" if status == "cancelled" else None,
        "deletedAt": None,
    }
    event.update(event_overrides)
    payload: dict[str, Any] = {"event": event}
    if kind == "EventCancelled":
        payload["reason"] = "Lluvia"
    if kind == "EventUpdated":
        payload["changed"] = ["name"]
    return Envelope.new(event_id=uuid.UUID(event["id"]), name=event["name"], type=kind, payload=payload)


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
    """The organizer and operations mailboxes, the buyer the order names; ``unavailable`` roles
    cannot be reached."""

    def __init__(self, *, unavailable: Sequence[RecipientRole] = ()) -> None:
        self.unavailable = set(unavailable)

    async def contact(self, role: RecipientRole, payload: dict[str, Any]) -> Contact:
        if role in self.unavailable:
            raise RecipientUnavailable(f"the {role.value} is inactive")
        if role is RecipientRole.BUYER:
            buyer = payload["order"]["buyer"]
            return Contact(buyer["email"], buyer["name"], buyer["locale"])
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
