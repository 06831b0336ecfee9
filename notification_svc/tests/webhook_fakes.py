"""In-memory fakes of the webhook ports, and a transport that answers as a test tells it, for unit tests."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from notification_fakes import FakeNotifications

from notification_svc.application.ports import UnitOfWork
from notification_svc.application.webhook_ports import (
    Organizations,
    RoutableMessage,
    Webhooks,
    WebhookTransport,
)
from notification_svc.domain.model import Message
from notification_svc.domain.webhooks import (
    AttemptResult,
    Delivery,
    DeliveryStatus,
    Endpoint,
    EndpointStatus,
    NoticeRecipient,
)


@dataclass
class WebhookState:
    endpoints: dict[uuid.UUID, Endpoint] = field(default_factory=dict)
    owners: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    messages: dict[uuid.UUID, tuple[Message, uuid.UUID | None, dt.datetime | None]] = field(
        default_factory=dict
    )
    deliveries: dict[uuid.UUID, Delivery] = field(default_factory=dict)


class FakeWebhooks(Webhooks):
    def __init__(self, state: WebhookState) -> None:
        self.s = state

    async def add_endpoint(self, endpoint: Endpoint) -> None:
        self.s.endpoints[endpoint.id] = copy.deepcopy(endpoint)

    async def endpoint(self, endpoint_id: uuid.UUID, *, for_update: bool = False) -> Endpoint | None:
        return copy.deepcopy(self.s.endpoints.get(endpoint_id))

    async def endpoints_page(
        self, organization_id: uuid.UUID | None, *, after: uuid.UUID | None, limit: int
    ) -> Sequence[Endpoint]:
        found = sorted(
            (
                e
                for e in self.s.endpoints.values()
                if (organization_id is None or e.organization_id == organization_id)
                and (after is None or e.id > after)
            ),
            key=lambda e: e.id,
        )
        return copy.deepcopy(found[:limit])

    async def endpoints_wanting(self, organization_id: uuid.UUID, webhook_type: str) -> Sequence[Endpoint]:
        return [
            copy.deepcopy(e)
            for e in self.s.endpoints.values()
            if e.organization_id == organization_id and e.wants(webhook_type)
        ]

    async def save_endpoint(self, endpoint: Endpoint) -> None:
        self.s.endpoints[endpoint.id] = copy.deepcopy(endpoint)

    async def remove_endpoint(self, endpoint_id: uuid.UUID) -> None:
        del self.s.endpoints[endpoint_id]
        self.s.deliveries = {k: d for k, d in self.s.deliveries.items() if d.endpoint_id != endpoint_id}

    async def record_owner(self, event_id: uuid.UUID, organization_id: uuid.UUID) -> None:
        self.s.owners.setdefault(event_id, organization_id)

    async def add_message(self, message: Message, organization_id: uuid.UUID | None) -> bool:
        if message.message_id in self.s.messages:
            return False
        self.s.messages[message.message_id] = (message, organization_id, None)
        return True

    async def routable(self, limit: int) -> Sequence[RoutableMessage]:
        found = []
        for message, owner, routed in self.s.messages.values():
            known = owner or self.s.owners.get(message.event_id)
            if routed is None and known is not None:
                found.append(RoutableMessage(message, known))
        return found[:limit]

    async def mark_routed(self, message_id: uuid.UUID, at: dt.datetime) -> None:
        message, owner, _ = self.s.messages[message_id]
        self.s.messages[message_id] = (message, owner, at)

    async def add_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        taken = {(d.endpoint_id, d.message_id) for d in self.s.deliveries.values()}
        for d in deliveries:
            if (d.endpoint_id, d.message_id) not in taken:
                self.s.deliveries[d.id] = copy.deepcopy(d)

    async def due(self, now: dt.datetime, limit: int) -> Sequence[Delivery]:
        found = sorted(
            (
                d
                for d in self.s.deliveries.values()
                if d.status is DeliveryStatus.PENDING and d.next_attempt_at <= now
            ),
            key=lambda d: d.next_attempt_at,
        )
        return copy.deepcopy(found[:limit])

    async def delivery(self, delivery_id: uuid.UUID, *, for_update: bool = False) -> Delivery | None:
        return copy.deepcopy(self.s.deliveries.get(delivery_id))

    async def save_delivery(self, delivery: Delivery) -> None:
        self.s.deliveries[delivery.id] = copy.deepcopy(delivery)

    async def deliveries_page(
        self, endpoint_id: uuid.UUID, *, before: tuple[dt.datetime, uuid.UUID] | None, limit: int
    ) -> Sequence[Delivery]:
        found = sorted(
            (
                d
                for d in self.s.deliveries.values()
                if d.endpoint_id == endpoint_id and (before is None or (d.created_at, d.id) < before)
            ),
            key=lambda d: (d.created_at, d.id),
            reverse=True,
        )
        return copy.deepcopy(found[:limit])

    async def deliveries_between(
        self, endpoint_id: uuid.UUID, since: dt.datetime, until: dt.datetime, limit: int
    ) -> Sequence[Delivery]:
        found = [
            d
            for d in self.s.deliveries.values()
            if d.endpoint_id == endpoint_id and since <= d.created_at < until
        ]
        return copy.deepcopy(found[:limit])

    async def give_up_pending(self, endpoint_id: uuid.UUID, reason: str) -> None:
        for d in self.s.deliveries.values():
            if d.endpoint_id == endpoint_id and d.status is DeliveryStatus.PENDING:
                d.give_up(reason)


class WebhookUnitOfWork(UnitOfWork):
    """Commits keep the state; a rollback restores it as the transaction found it."""

    def __init__(self) -> None:
        self.state = WebhookState()
        self.notifications = FakeNotifications({}, {})
        self.webhooks = FakeWebhooks(self.state)
        self._snapshot: WebhookState | None = None

    async def __aenter__(self) -> WebhookUnitOfWork:
        self._snapshot = copy.deepcopy(self.state)
        return self

    async def commit(self) -> None:
        self._snapshot = None

    async def rollback(self) -> None:
        if self._snapshot is not None:
            self.state.__dict__.update(self._snapshot.__dict__)
            self._snapshot = None

    def deliveries(self) -> list[Delivery]:
        return sorted(self.state.deliveries.values(), key=lambda d: d.created_at)

    def endpoint_status(self, endpoint_id: uuid.UUID) -> EndpointStatus:
        return self.state.endpoints[endpoint_id].status


@dataclass
class Call:
    url: str
    headers: Mapping[str, str]
    body: bytes


class ScriptedTransport(WebhookTransport):
    """Answers each POST with the next scripted status (or raises the scripted exception)."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[Call] = []

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> AttemptResult:
        self.calls.append(Call(url, dict(headers), body))
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        return AttemptResult(answer, 12, "ok" if answer < 300 else "x" * 5000)


class FakeOrganizations(Organizations):
    """The organizers of each organization as a test names them; ``failure`` is raised when set."""

    def __init__(
        self, members: Mapping[uuid.UUID, Sequence[NoticeRecipient]], failure: Exception | None = None
    ):
        self.members = dict(members)
        self.failure = failure
        self.asked: list[uuid.UUID] = []

    async def organizers(self, organization_id: uuid.UUID) -> Sequence[NoticeRecipient]:
        self.asked.append(organization_id)
        if self.failure is not None:
            raise self.failure
        return list(self.members.get(organization_id, ()))
