"""Identity's domain events → message envelopes in the outbox table (same transaction as the change).

taquilla.identity.v1 carries no personal data: an account is named by its id, and whoever writes to
its owner asks identity_svc for the address (GetUserContact). Keyed by the account's id.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from identity_svc.application.ports import Outbox
from identity_svc.config import IDENTITY_TOPIC
from identity_svc.domain.events import DomainEvent, RegistrationAttempted
from taquilla_runtime.messaging.envelope import Envelope
from taquilla_runtime.messaging.outbox import outbox_insert


class SqlOutbox(Outbox):
    def __init__(self, connection: AsyncConnection, table: Table, topic: str = IDENTITY_TOPIC) -> None:
        self._connection = connection
        self._table = table
        self._topic = topic

    async def add(self, events: Sequence[DomainEvent], *, correlation_id: str | None) -> None:
        for event in events:
            await outbox_insert(
                self._connection, self._table, topic=self._topic, envelope=envelope_for(event, correlation_id)
            )


def envelope_for(event: DomainEvent, correlation_id: str | None) -> Envelope:
    match event:
        case RegistrationAttempted(user_id=user_id):
            kind, payload = "RegistrationAttempted", {"user": {"id": str(user_id)}}
    # The envelope's eventId and name are the account's (this topic is about accounts, not events).
    return Envelope.new(
        event_id=event.user_id,
        name="account",
        type=kind,
        payload=payload,
        correlation_id=correlation_id,
        occurred_at=event.occurred_at,
    )
