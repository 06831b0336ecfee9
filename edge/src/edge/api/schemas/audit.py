"""The audit trail as the API shows it: one entry of one service's log."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from edge.clients.audit import ServiceEntry


class AuditEntryPublic(BaseModel):
    """One recorded attempt at a state-changing action, refused or not. Ids and action names only."""

    service: str = Field(examples=["event_svc"], description="The service whose log holds the entry")
    id: int = Field(description="Id within that service's log (`service` and `id` name an entry)")
    occurred_at: dt.datetime
    actor: str = Field(description='UUID of the user, API client or service that acted, or "anonymous"')
    actor_kind: str | None = Field(default=None, examples=["user"], description="user, client or service")
    actor_role: str | None = Field(default=None, examples=["organizer"])
    organization_id: uuid.UUID | None = Field(
        default=None, description="The organization the action belongs to, when known"
    )
    action: str = Field(examples=["event.publish"])
    target: str = Field(examples=["event:0b7c1f0e-8f3e-4a5e-9a61-3f2d5b1c9e77"], description="`<type>:<id>`")
    correlation_id: str = Field(description="The request's X-Correlation-ID")
    outcome: str = Field(
        examples=["success", "permission_denied", "sold-out"],
        description="`success`, or why it was refused: a problem type, a status or `denied`",
    )

    @classmethod
    def from_entry(cls, item: ServiceEntry) -> AuditEntryPublic:
        e = item.entry
        return cls(
            service=item.service,
            id=e.id,
            occurred_at=item.occurred_at,
            actor=e.actor,
            actor_kind=e.actor_kind or None,
            actor_role=e.actor_role or None,
            organization_id=uuid.UUID(e.organization_id) if e.organization_id else None,
            action=e.action,
            target=e.target,
            correlation_id=e.correlation_id,
            outcome=e.outcome,
        )


class AuditPage(BaseModel):
    items: list[AuditEntryPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")
