"""A realistic, deterministic catalog for search tests: 1,000 events with Spanish names and accents.

Every event is described twice: as the request that creates it and as the facts a search filters on,
so tests compute the expected answer in Python and compare it with the service's.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from google.protobuf.timestamp_pb2 import Timestamp

from taquilla.events.v1 import event_service_pb2 as pb

SIZE = 1000
CITIES = (
    "Bogotá",
    "Medellín",
    "Ciudad de México",
    "Guadalajara",
    "Monterrey",
    "Lima",
    "Santiago",
    "Buenos Aires",
    "Córdoba",
    "Quito",
    "Mérida",
    "Cancún",
    "Puebla",
    "Cali",
    "Valparaíso",
    "Montevideo",
    "Asunción",
    "San José",
    "León",
    "Querétaro",
)
VENUES = ("Teatro Colón", "Foro Sol", "Auditorio Nacional", "Arena Bolívar", "Sala Núñez", "Plaza Mayor")
# (kind of event, its category, what it is about)
KINDS = (
    ("Concierto", pb.CATEGORY_CONCERT, ("Jazz", "Música Clásica", "Rock en Español", "Salsa", "Boleros")),
    ("Recital", pb.CATEGORY_CONCERT, ("Piano", "Guitarra Flamenca", "Canción Andina")),
    ("Festival", pb.CATEGORY_FESTIVAL, ("Cumbia", "Cine Latinoamericano", "Gastronomía", "Jazz")),
    ("Obra", pb.CATEGORY_THEATRE, ("Don Quijote", "La Casa de Bernarda Alba", "Pedro Páramo")),
    ("Taller", pb.CATEGORY_WORKSHOP, ("Cerámica", "Fotografía", "Programación en Python")),
    ("Conferencia", pb.CATEGORY_CONFERENCE, ("Inteligencia Artificial", "Energía Solar", "Economía")),
    ("Clásico", pb.CATEGORY_SPORTS, ("Fútbol", "Básquetbol", "Béisbol")),
)
ARTISTS = (
    "Íñigo Peña",
    "Sofía Núñez",
    "José Álvarez",
    "María Ibáñez",
    "Raúl Gómez",
    "Lucía Martínez",
    "Andrés Muñoz",
    "Valentina Céspedes",
    "Tomás Gutiérrez",
    "Inés Chávez",
)
DESCRIPTIONS = (
    "Una velada inolvidable con artistas invitados.",
    "Una noche con sabor a jazz y boleros, en formato íntimo.",
    "Para toda la familia. Entradas limitadas.",
    "Edición especial con transmisión en vivo.",
)
ORGANIZATION_SIZE = 100  # events per BatchCreateEvents call


@dataclass(frozen=True)
class Fact:
    """What a search can see of one event of the dataset."""

    index: int
    name: str
    description: str
    category: int
    city: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    price_from: Decimal
    published: bool
    sold_out: bool

    def request(self) -> pb.BatchEventInput:
        venue = VENUES[self.index % len(VENUES)]
        return pb.BatchEventInput(
            event=pb.EventInput(
                name=self.name,
                description=self.description,
                category=self.category,  # type: ignore[arg-type]
                venue=pb.Venue(name=venue, city=self.city, address=f"Avenida {self.index}"),
                starts_at=_stamp(self.starts_at),
                ends_at=_stamp(self.ends_at),
                timezone="America/Bogota",
                zones=[
                    pb.ZoneInput(
                        name="General",
                        price=pb.Money(amount=f"{self.price_from:.2f}", currency="COP"),
                        capacity=50,
                    ),
                    pb.ZoneInput(
                        name="Palco",
                        price=pb.Money(amount=f"{self.price_from * 3:.2f}", currency="COP"),
                        capacity=5,
                    ),
                ],
            ),
            publish=self.published,
        )


def _stamp(value: dt.datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def catalog(base: dt.datetime, size: int = SIZE, seed: int = 2026) -> list[Fact]:
    """``size`` events from ``base`` on, one a day (so no two sessions ever overlap), shuffled facts."""
    chance = random.Random(seed)
    facts = []
    for index in range(size):
        kind, category, topics = KINDS[index % len(KINDS)]
        topic = chance.choice(topics)
        artist = chance.choice(ARTISTS)
        starts_at = base + dt.timedelta(days=index, hours=chance.randrange(0, 6))
        facts.append(
            Fact(
                index=index,
                name=f"{kind} de {topic} con {artist}",
                description=chance.choice(DESCRIPTIONS),
                category=category,
                city=chance.choice(CITIES),
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(hours=3),
                price_from=Decimal(chance.randrange(20, 400) * 500),
                published=index % 10 != 7,  # a tenth stay drafts
                sold_out=index % 10 == 3,
            )
        )
    return facts
