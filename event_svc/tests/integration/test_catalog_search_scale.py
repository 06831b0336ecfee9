"""Search on 100,000 events: PostgreSQL's plans use the GIN tsvector index and the trigram index, and
every kind of search finds events. How fast they answer is measured by `make bench`, not here: a
timed assertion in `make test` fails whenever the machine is busy.

The events are inserted by one INSERT ... SELECT over generate_series (the API would take minutes),
into a database of their own. They carry no sessions: "available" is not what is measured here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import grpc
import pytest
import pytest_asyncio
from catalog_requests import Catalog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from devstack.infra import ServiceDatabase
from devstack.pytest_plugin import PostgresServer
from devstack.testing import in_process_service
from event_svc.adapters.listings import SqlCatalogListings
from event_svc.bootstrap import build_servicer
from event_svc.config import SCHEMA
from event_svc.domain.search import CatalogSearch
from event_svc.entrypoints.cli import MIGRATIONS
from event_svc.entrypoints.grpc_server import SERVICE_NAME
from taquilla.events.v1 import event_service_pb2 as pb
from taquilla.events.v1 import event_service_pb2_grpc
from taquilla_runtime import migrations
from taquilla_runtime.db import create_engine

pytestmark = pytest.mark.asyncio(loop_scope="session")
EVENTS = 100_000
SCALE_DATABASE = ServiceDatabase("event_svc", "event_svc", "taquilla_events_scale", SCHEMA)

# Names like "Festival de Tango con Los Ñamarito" in 20 cities; the band names (20**3 made-up words)
# give the lexicon the thousands of distinct terms a real catalog has.
BULK_INSERT = """
WITH words AS (
  SELECT ARRAY['Concierto','Festival','Noche','Recital','Gira','Temporada','Encuentro'] AS kinds,
         ARRAY['Jazz','Música Clásica','Rock','Salsa','Cumbia','Tango','Flamenco','Ópera','Boleros',
               'Reguetón','Bachata','Mariachi'] AS genres,
         ARRAY['Ana','José','María','Íñigo','Sofía','Raúl','Lucía','Andrés','Valentina','Tomás','Inés',
               'Martín','Julián','Camila','Óscar','Elena','Nicolás','Paula','Sebastián','Jimena'] AS names,
         ARRAY['Pérez','Gómez','Núñez','Ibáñez','Álvarez','Rodríguez','Martínez','Sánchez','Ramírez',
               'Torres','Flores','Rivera','Castañeda','Peña','Muñoz','Ortiz','Gutiérrez','Chávez',
               'Vázquez','Céspedes'] AS surnames,
         ARRAY['ca','lo','mi','ra','to','ve','su','ni','qui','ña','pé','dor','bel','mar','san','lu','ro',
               'te','gua','ya'] AS syllables,
         ARRAY['Bogotá','Medellín','Ciudad de México','Guadalajara','Monterrey','Lima','Santiago',
               'Buenos Aires','Córdoba','Quito','Mérida','Cancún','Puebla','Cali','Valparaíso',
               'Montevideo','Asunción','San José','León','Querétaro'] AS cities,
         ARRAY['Teatro','Foro','Auditorio','Arena','Estadio','Sala'] AS venues,
         ARRAY['concert','conference','sports','theatre','festival','workshop','other'] AS categories
)
INSERT INTO events (id, organization_id, created_by, name, description, category, venue_name, venue_city,
                    venue_address, starts_at, ends_at, timezone, status, version, price_from, price_currency)
SELECT md5('scale' || n)::uuid, '00000000-0000-4000-8000-000000000001',
       '00000000-0000-4000-8000-000000000002',
       kinds[1 + n % 7] || ' de ' || genres[1 + (n / 7) % 12] || ' con ' || names[1 + (n / 84) % 20] || ' '
         || surnames[1 + (n / 1680) % 20] || ' y Los ' || initcap(syllables[1 + n % 20]
         || syllables[1 + (n / 20) % 20] || syllables[1 + (n / 400) % 20]),
       'Una velada inolvidable en ' || cities[1 + n % 20] || '. Entradas limitadas.',
       categories[1 + n % 7],
       venues[1 + n % 6] || ' ' || names[1 + (n / 6) % 20],
       cities[1 + n % 20],
       'Calle ' || n,
       now() + make_interval(hours => 24 + (n * 37) % 8760),
       now() + make_interval(hours => 27 + (n * 37) % 8760),
       'America/Bogota',
       CASE WHEN n % 50 = 0 THEN 'draft' ELSE 'published' END,
       1,
       (100 + (n * 13) % 2000)::numeric(12, 2),
       'MXN'
FROM words, generate_series(1, :events) AS n
"""


@pytest.fixture(scope="module")
def scale_database_url(postgres_server: PostgresServer) -> str:
    postgres_server.cluster.ensure_service_database(SCALE_DATABASE)
    url = SCALE_DATABASE.url(postgres_server.port)
    migrations.upgrade(MIGRATIONS, url, SCHEMA)
    return url


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def scale_engine(scale_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(scale_database_url, schema=SCHEMA, application_name="event_svc-scale-tests")
    async with engine.begin() as connection:
        if not await connection.scalar(text("SELECT count(*) FROM events")):
            # A bulk load as PostgreSQL recommends it: the full-text index is built once afterwards,
            # from its migration's own definition, instead of entry by entry (the index writes
            # through, without a pending list: migration 0004).
            definition = await connection.scalar(
                text("SELECT pg_get_indexdef('ix_events_search_vector'::regclass)")
            )
            await connection.execute(text("DROP INDEX ix_events_search_vector"))
            await connection.execute(text(BULK_INSERT), {"events": EVENTS})
            await connection.execute(text(definition))
    # A catalog in its steady state: vacuumed (hint bits and visibility map set) and analysed, so
    # neither the first searches nor an autovacuum woken by the bulk insert skew the timings.
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM (ANALYZE) events, search_terms"))
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def service(scale_engine: AsyncEngine) -> AsyncIterator[Catalog]:
    servicer = build_servicer(scale_engine)
    async with (
        in_process_service(
            SERVICE_NAME, partial(event_service_pb2_grpc.add_EventServiceServicer_to_server, servicer)
        ) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        yield Catalog(event_service_pb2_grpc.EventServiceStub(channel))


def a_search(query: str, **fields: Any) -> CatalogSearch:
    values: dict[str, Any] = {
        "text": query,
        "category": "",
        "city": "",
        "date_from": None,
        "date_to": None,
        "price_min": "",
        "price_max": "",
        "available_only": False,
        "order": "date",
        "limit": 20,
        "after": None,
        "include_total": False,
        "now": dt.datetime.now(dt.UTC),
        **fields,
    }
    return CatalogSearch.parse(**values)


async def test_the_catalog_holds_100000_events_and_thousands_of_terms(scale_engine: AsyncEngine) -> None:
    async with scale_engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM events")) == EVENTS
        assert await connection.scalar(text("SELECT count(DISTINCT term) FROM search_terms")) > 8000
        for index in ("ix_events_search_vector", "ix_search_terms_trigrams"):
            definition = await connection.scalar(text(f"SELECT pg_get_indexdef('{index}'::regclass)"))
            assert "fastupdate=off" in definition, definition


async def test_a_search_uses_the_tsvector_gin_index(scale_engine: AsyncEngine) -> None:
    plans = await SqlCatalogListings(scale_engine).explain(a_search("Sofía Núñez tango"))
    assert "Bitmap Index Scan on ix_events_search_vector" in plans[-1], plans[-1]


async def test_a_misspelt_search_uses_the_trigram_index_then_the_tsvector_index(
    scale_engine: AsyncEngine,
) -> None:
    lookup, match = await SqlCatalogListings(scale_engine).explain(a_search("Bogta quitorra"))
    assert "ix_search_terms_trigrams" in lookup, lookup
    assert "Bitmap Index Scan on ix_events_search_vector" in match, match


@pytest.mark.parametrize(
    "request_fields",
    [
        {"query": "Sofía Núñez tango"},
        {"query": "musica clasica", "order": pb.LISTING_ORDER_RELEVANCE},
        {"query": "Bogta", "order": pb.LISTING_ORDER_RELEVANCE},
        {"query": "concerto jazz bogta", "include_total": True},
        {"query": "quitorra"},
        {"city": "bogota", "order": pb.LISTING_ORDER_PRICE, "include_total": True},
        {},
    ],
    ids=[
        "words",
        "accents by relevance",
        "typo by relevance",
        "typo and words counted",
        "rare typo",
        "city",
        "all",
    ],
)
async def test_every_kind_of_search_finds_events_at_scale(
    service: Catalog, scale_engine: AsyncEngine, request_fields: dict[str, Any]
) -> None:
    reply = await service.call("SearchEvents", pb.SearchEventsRequest(limit=20, **request_fields))
    assert len(reply.events) == 20, request_fields
    if request_fields.get("include_total"):
        assert reply.total >= 20
