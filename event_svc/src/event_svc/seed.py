"""Demo catalog for `make up`: a few events of the demo organization. Safe to run again.

The events have fixed ids, so a second run finds them and creates nothing. They go through the
same use case as the API, so their EventCreated/EventPublished messages reach the outbox too.
Dates are relative to the day of seeding (the catalog refuses events in the past).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from event_svc.adapters.unit_of_work import SqlUnitOfWork
from event_svc.application import handlers
from event_svc.bootstrap import build_engine
from event_svc.config import Settings
from event_svc.domain.commands import (
    Actor,
    CreateEvent,
    EventInput,
    FeatureEvent,
    Role,
    SessionInput,
    VenueInput,
    ZoneInput,
)

log = logging.getLogger(__name__)

DEMO_ORGANIZATION_ID = uuid.UUID("5e1d0000-0000-4000-8000-000000000001")
DEMO_ORGANIZER_ID = uuid.UUID("5e1d0000-0000-4000-8000-000000000002")
MEXICO_CITY = "America/Mexico_City"
# The seed features two events as the demo administrator would.
SEED_ADMIN = Actor(subject=uuid.UUID("5e1d0000-0000-4000-8000-000000000003"), role=Role.ADMIN)


@dataclass(frozen=True)
class DemoEvent:
    id: uuid.UUID
    event: EventInput
    publish: bool
    featured: bool = False  # on the front page (chosen by an administrator in real life)


def _local(day: dt.date, hour: int, minute: int = 0, zone: str = MEXICO_CITY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(zone))


def _demo_id(n: int) -> uuid.UUID:
    return uuid.UUID(f"5e1d0000-0000-4000-8000-{n:012d}")


def demo_events(today: dt.date) -> list[DemoEvent]:
    jazz = today + dt.timedelta(days=21)
    pydata = today + dt.timedelta(days=35)
    theatre = today + dt.timedelta(days=50)
    ceramics = today + dt.timedelta(days=14)
    return [
        DemoEvent(
            _demo_id(101),
            EventInput(
                name="Noche de Jazz en el Foro",
                description="Tres horas de jazz con invitados de toda la ciudad.\nPuertas a las 19:00.",
                category="concert",
                venue=VenueInput(
                    "Foro del Lago", "Ciudad de México", "Bosque de Chapultepec 2a Sección", 19.4181, -99.1887
                ),
                starts_at=_local(jazz, 20),
                ends_at=_local(jazz, 23),
                timezone=MEXICO_CITY,
                zones=(
                    ZoneInput("General", "450.00", "MXN", 800),
                    ZoneInput("Preferente", "950.00", "MXN", 200),
                    ZoneInput("VIP", "1800.00", "MXN", 50),
                ),
                image_url="https://images.example.com/taquilla/jazz.jpg",
            ),
            publish=True,
            featured=True,
        ),
        DemoEvent(
            _demo_id(102),
            EventInput(
                name="PyData Guadalajara",
                description="Dos días de charlas y talleres sobre datos con Python.",
                category="conference",
                venue=VenueInput("Expo Guadalajara", "Guadalajara", "Av. Mariano Otero 1499"),
                starts_at=_local(pydata, 9),
                ends_at=_local(pydata + dt.timedelta(days=1), 18),
                timezone=MEXICO_CITY,
                zones=(
                    ZoneInput("Estudiante", "300.00", "MXN", 150),
                    ZoneInput("General", "900.00", "MXN", 350),
                ),
                sessions=(
                    SessionInput(
                        title="Día 1: charlas",
                        starts_at=_local(pydata, 9),
                        ends_at=_local(pydata, 18),
                        place="Salón A",
                        resources=("proyector", "micrófonos"),
                    ),
                    SessionInput(
                        title="Día 2: talleres",
                        starts_at=_local(pydata + dt.timedelta(days=1), 9),
                        ends_at=_local(pydata + dt.timedelta(days=1), 18),
                        place="Salón B",
                        capacity_override=200,
                    ),
                ),
            ),
            publish=True,
        ),
        DemoEvent(
            _demo_id(103),
            EventInput(
                name="Festival de Teatro Callejero",
                description="Borrador: programa en preparación.",
                category="theatre",
                venue=VenueInput("Parque Fundidora", "Monterrey", "Av. Fundidora 501"),
                starts_at=_local(theatre, 17, zone="America/Monterrey"),
                ends_at=_local(theatre + dt.timedelta(days=2), 22, zone="America/Monterrey"),
                timezone="America/Monterrey",
                zones=(ZoneInput("Entrada libre con registro", "0.00", "MXN", 1000),),
            ),
            publish=False,
        ),
        DemoEvent(
            _demo_id(104),
            EventInput(
                name="Taller de Cerámica para Principiantes",
                description="Tres sábados de torno y esmaltado. Material incluido.",
                category="workshop",
                venue=VenueInput("Casa del Barro", "Oaxaca de Juárez", "Calle Macedonio Alcalá 120"),
                starts_at=_local(ceramics, 10),
                ends_at=_local(ceramics + dt.timedelta(days=14), 13),
                timezone=MEXICO_CITY,
                zones=(ZoneInput("Lugar en el taller", "1200.00", "MXN", 12),),
                sessions=tuple(
                    SessionInput(
                        title=f"Sesión {week + 1}",
                        presenter="Mtra. Rosa Méndez",
                        starts_at=_local(ceramics + dt.timedelta(days=7 * week), 10),
                        ends_at=_local(ceramics + dt.timedelta(days=7 * week), 13),
                        place="Taller 1",
                    )
                    for week in range(3)
                ),
            ),
            publish=True,
            featured=True,
        ),
    ]


async def seed(settings: Settings) -> None:
    """Creates the demo events that do not exist yet."""
    engine = build_engine(settings)
    organizer = Actor(subject=DEMO_ORGANIZER_ID, role=Role.ORGANIZER, organization_id=DEMO_ORGANIZATION_ID)
    created = 0
    try:
        for demo in demo_events(dt.datetime.now(dt.UTC).date()):
            async with SqlUnitOfWork(engine) as uow:
                if await uow.events.exists(demo.id):
                    continue
            command = CreateEvent(
                actor=organizer,
                correlation_id=str(uuid.uuid4()),
                event=demo.event,
                publish=demo.publish,
                event_id=demo.id,
            )
            await handlers.create_event(command, SqlUnitOfWork(engine), encode=lambda _: b"")
            if demo.featured:
                await handlers.feature_event(
                    FeatureEvent(
                        actor=SEED_ADMIN, correlation_id=str(uuid.uuid4()), event_id=demo.id, featured=True
                    ),
                    SqlUnitOfWork(engine),
                )
            created += 1
    finally:
        await engine.dispose()
    log.info("demo catalog seeded", extra={"events_created": created})
