"""What the webhook use cases need from the outside world: their storage and the HTTP call."""

from __future__ import annotations

import abc
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from notification_svc.domain.model import Message
from notification_svc.domain.webhooks import AttemptResult, Delivery, Endpoint, NoticeRecipient


@dataclass(frozen=True)
class RoutableMessage:
    """A message kept for webhooks whose organization is now known, not yet made into deliveries."""

    message: Message
    organization_id: uuid.UUID


class Webhooks(abc.ABC):
    """Endpoints, the messages kept for them, their deliveries, and which event is whose."""

    # ---- endpoints
    @abc.abstractmethod
    async def add_endpoint(self, endpoint: Endpoint) -> None: ...

    @abc.abstractmethod
    async def endpoint(self, endpoint_id: uuid.UUID, *, for_update: bool = False) -> Endpoint | None: ...

    @abc.abstractmethod
    async def endpoints_page(
        self, organization_id: uuid.UUID | None, *, after: uuid.UUID | None, limit: int
    ) -> Sequence[Endpoint]:
        """Up to ``limit`` endpoints (of one organization, or all), by id, after ``after``."""

    @abc.abstractmethod
    async def endpoints_wanting(self, organization_id: uuid.UUID, webhook_type: str) -> Sequence[Endpoint]:
        """The organization's enabled endpoints subscribed to ``webhook_type``."""

    @abc.abstractmethod
    async def save_endpoint(self, endpoint: Endpoint) -> None: ...

    @abc.abstractmethod
    async def remove_endpoint(self, endpoint_id: uuid.UUID) -> None:
        """Deletes the endpoint and its deliveries."""

    # ---- the event -> organization map, and the messages
    @abc.abstractmethod
    async def record_owner(self, event_id: uuid.UUID, organization_id: uuid.UUID) -> None:
        """Remembers whose event it is (an event never changes organization)."""

    @abc.abstractmethod
    async def add_message(self, message: Message, organization_id: uuid.UUID | None) -> bool:
        """Keeps a message for webhooks; False when it was kept before (its id is the primary key)."""

    @abc.abstractmethod
    async def routable(self, limit: int) -> Sequence[RoutableMessage]:
        """Messages not yet routed whose organization is known (from the message or the map), oldest
        first, locked (others skip them) until the transaction ends."""

    @abc.abstractmethod
    async def mark_routed(self, message_id: uuid.UUID, at: dt.datetime) -> None: ...

    # ---- deliveries
    @abc.abstractmethod
    async def add_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        """Adds those not there yet: one per (endpoint, message), whatever the replays."""

    @abc.abstractmethod
    async def due(self, now: dt.datetime, limit: int) -> Sequence[Delivery]:
        """Pending deliveries whose next attempt is due, oldest first, locked (others skip them)."""

    @abc.abstractmethod
    async def delivery(self, delivery_id: uuid.UUID, *, for_update: bool = False) -> Delivery | None: ...

    @abc.abstractmethod
    async def save_delivery(self, delivery: Delivery) -> None: ...

    @abc.abstractmethod
    async def deliveries_page(
        self, endpoint_id: uuid.UUID, *, before: tuple[dt.datetime, uuid.UUID] | None, limit: int
    ) -> Sequence[Delivery]:
        """The endpoint's deliveries, newest first, older than (created_at, id)."""

    @abc.abstractmethod
    async def deliveries_between(
        self, endpoint_id: uuid.UUID, since: dt.datetime, until: dt.datetime, limit: int
    ) -> Sequence[Delivery]:
        """The endpoint's deliveries created in [since, until), locked."""

    @abc.abstractmethod
    async def give_up_pending(self, endpoint_id: uuid.UUID, reason: str) -> None:
        """Fails the endpoint's pending deliveries (it was disabled)."""


class WebhookTransport(abc.ABC):
    @abc.abstractmethod
    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> AttemptResult:
        """POSTs once; raises TargetRefused (the address may not be called) or AttemptFailed."""


class Organizations(abc.ABC):
    """Who speaks for an organization: its active organizers, from identity_svc."""

    @abc.abstractmethod
    async def organizers(self, organization_id: uuid.UUID) -> Sequence[NoticeRecipient]:
        """The organization's active organizers (none for an unknown organization). Raises
        DependencyUnavailable or DeliveryFailed when identity_svc cannot say."""
