"""Who may see and change what in the catalog.

Anyone may read published events. Drafts are visible to their organization and to administrators
only; to everybody else they do not exist, so another organization's resources answer "not found",
never "forbidden". Organizers change their own organization's events; administrators any event.
"""

from __future__ import annotations

import uuid

from event_svc.domain.commands import Actor, Role
from event_svc.domain.errors import EventNotFound, InvalidInput, NotAllowed, Unauthenticated
from event_svc.domain.model import Event, EventStatus, Session, SessionStatus


def organization_for_new_event(actor: Actor | None, requested: uuid.UUID | None) -> uuid.UUID:
    """The organization a new event belongs to: the organizer's own; administrators must name one."""
    if actor is None:
        raise Unauthenticated("Sign in to create events.")
    if actor.is_admin:
        organization = requested or actor.organization_id
        if organization is None:
            raise InvalidInput.single("organization_id", "an administrator must name the organization")
        return organization
    if actor.role is Role.ORGANIZER and actor.organization_id is not None:
        if requested is not None:
            raise InvalidInput.single(
                "organization_id", "only administrators may set it; your events belong to your organization"
            )
        return actor.organization_id
    raise NotAllowed("Only organizers and administrators create events.")


def organization_of(actor: Actor | None) -> uuid.UUID:
    """The caller's own organization, for "my organization" listings."""
    if actor is None:
        raise Unauthenticated("Sign in to list your organization's events.")
    if actor.organization_id is None:
        raise NotAllowed("You do not belong to an organization.")
    return actor.organization_id


def manages(actor: Actor | None, event: Event) -> bool:
    return actor is not None and (
        actor.is_admin or (actor.role is Role.ORGANIZER and actor.belongs_to(event.organization_id))
    )


def can_view(actor: Actor | None, event: Event) -> bool:
    if event.deleted:
        return False
    if event.status is not EventStatus.DRAFT:
        return True
    return actor is not None and (actor.is_admin or actor.belongs_to(event.organization_id))


def ensure_can_view(actor: Actor | None, event: Event) -> None:
    if not can_view(actor, event):
        raise EventNotFound(event.id)


def ensure_admin(actor: Actor | None, refusal: str) -> None:
    if actor is None:
        raise Unauthenticated("Sign in first.")
    if not actor.is_admin:
        raise NotAllowed(refusal)


def ensure_can_manage(actor: Actor | None, event: Event) -> None:
    ensure_can_view(actor, event)
    if manages(actor, event):
        return
    if actor is None:
        raise Unauthenticated("Sign in to change events.")
    if actor.belongs_to(event.organization_id):
        raise NotAllowed("Only the organization's organizers may change its events.")
    raise EventNotFound(event.id)


def visible_sessions(actor: Actor | None, event: Event) -> list[Session]:
    """The sessions the caller may see: draft sessions stay with the organization."""
    sessions = event.live_sessions
    if manages(actor, event) or (actor is not None and actor.belongs_to(event.organization_id)):
        return sessions
    return [session for session in sessions if session.status is not SessionStatus.DRAFT]
