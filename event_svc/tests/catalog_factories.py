"""Factories for catalog tests: valid inputs by default, overridden per test."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from typing import Any

from event_svc.domain.commands import Actor, EventInput, Role, SessionInput, VenueInput, ZoneInput
from event_svc.domain.model import Event

NOW = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
START = NOW + dt.timedelta(days=30)


def at(hours: float, base: dt.datetime = START) -> dt.datetime:
    return base + dt.timedelta(hours=hours)


def organizer(organization_id: uuid.UUID | None = None) -> Actor:
    return Actor(subject=uuid.uuid4(), role=Role.ORGANIZER, organization_id=organization_id or uuid.uuid4())


def admin() -> Actor:
    return Actor(subject=uuid.uuid4(), role=Role.ADMIN)


def customer() -> Actor:
    return Actor(subject=uuid.uuid4(), role=Role.CUSTOMER)


def staff(organization_id: uuid.UUID) -> Actor:
    return Actor(subject=uuid.uuid4(), role=Role.STAFF, organization_id=organization_id)


def make_venue(**overrides: Any) -> VenueInput:
    return replace(
        VenueInput(name=f"Foro {uuid.uuid4().hex[:8]}", city="Ciudad de México", address="Av. Reforma 1"),
        **overrides,
    )


def make_zone(**overrides: Any) -> ZoneInput:
    return replace(
        ZoneInput(name="General", price_amount="250.00", currency="MXN", capacity=100), **overrides
    )


def make_session(**overrides: Any) -> SessionInput:
    return replace(SessionInput(starts_at=at(0), ends_at=at(2), title="Función"), **overrides)


def make_event_input(**overrides: Any) -> EventInput:
    return replace(
        EventInput(
            name="Concierto de prueba",
            description="Una noche de música.",
            category="concert",
            venue=make_venue(),
            starts_at=at(0),
            ends_at=at(6),
            timezone="America/Mexico_City",
            zones=(make_zone(), make_zone(name="VIP", price_amount="900.50", capacity=20)),
        ),
        **overrides,
    )


def make_event(
    *, actor: Actor | None = None, publish: bool = False, now: dt.datetime = NOW, **overrides: Any
) -> Event:
    """A stored-looking event: created (and maybe published), with its pending domain events drained."""
    actor = actor or organizer()
    assert actor.organization_id is not None
    event = Event.create(
        make_event_input(**overrides),
        organization_id=actor.organization_id,
        created_by=actor.subject,
        now=now,
    )
    if publish:
        event.publish(now)
    event.events.clear()
    return event
