"""Searching and listing published events, done by PostgreSQL (indexes and columns: migration 0003).

A text search runs in two statements. The first normalises each query word (accents, case), drops
stop words and, for a word that no event name, venue or city contains, looks up the most similar
terms of the lexicon with pg_trgm (``search_terms``, trigram GIN index): "concerto" becomes
"concerto | concierto". The second matches every word (any of its spellings, stemmed in Spanish and
English) against the events' generated tsvector through its GIN index.

Pages are keyset pages: the order always ends in the event id and the next page starts strictly
after the last row's sort key, so concurrent inserts never shift or repeat rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    ClauseElement,
    ColumnElement,
    Double,
    Executable,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from event_svc.adapters.orm import listed_events, session_zones, sessions, zones
from event_svc.application.ports import CatalogListings
from event_svc.domain.model import CLOSED_SESSION_STATUSES, Category
from event_svc.domain.search import CatalogSearch, EventListing, ListingOrder, ListingPosition
from event_svc.domain.values import Money, Venue

# A word that no event contains is replaced by up to this many lexicon terms at least this similar
# (pg_trgm similarity): "bogta" ~ "bogota" is 0.44, "concerto" ~ "concierto" 0.58.
SIMILAR_TERMS = 3
SIMILARITY_MIN = 0.4
SPANISH: ColumnElement[str] = literal_column("'spanish'::regconfig")
ENGLISH: ColumnElement[str] = literal_column("'english'::regconfig")
PUBLISHED: ColumnElement[str] = literal_column("'published'")
# Sessions that can still sell: not removed, not cancelled, not over.
_CLOSED_SESSIONS = sorted(status.value for status in CLOSED_SESSION_STATUSES)

# The lookup also sets, for the rest of the transaction, how the match that follows is planned (see
# SqlCatalogListings._statements): one round trip fewer than a statement of its own.
_TERMS = text(
    """
    WITH planner AS MATERIALIZED (
      SELECT set_config('plan_cache_mode', 'force_custom_plan', true),
             set_config('enable_seqscan', 'off', true)
    )
    SELECT word,
           numnode(plainto_tsquery('spanish'::regconfig, word)) = 0
             OR numnode(plainto_tsquery('english'::regconfig, word)) = 0 AS stop_word,
           CASE WHEN EXISTS (SELECT 1 FROM search_terms AS known WHERE known.term = word) THEN '{}'
                ELSE ARRAY(SELECT candidate.term FROM search_terms AS candidate
                           WHERE candidate.term % word AND similarity(candidate.term, word) >= :similarity
                           GROUP BY candidate.term
                           ORDER BY max(similarity(candidate.term, word)) DESC, candidate.term
                           LIMIT :alternatives)
           END AS similar
    FROM planner,
         (SELECT position, lower(immutable_unaccent(raw)) AS word
          FROM unnest(:words) WITH ORDINALITY AS given (raw, position)) AS words
    ORDER BY position
    """
).bindparams(bindparam("words", type_=ARRAY(Text)))


@dataclass(frozen=True, slots=True)
class _Word:
    spellings: tuple[str, ...]


class SqlCatalogListings(CatalogListings):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def search(self, search: CatalogSearch) -> tuple[list[EventListing], int | None]:
        async with self._engine.connect() as connection:
            page, count = await self._statements(connection, search)
            rows = (await connection.execute(page)).all()
            total = None
            if count is not None:
                # A text search counts its matches in the same statement (they are all read anyway).
                counted = rows[0]._mapping.get("total") if rows else None
                total = int(counted if counted is not None else await connection.scalar(count) or 0)
        return [_listing(row, search.order) for row in rows], total

    async def explain(self, search: CatalogSearch) -> list[str]:
        """PostgreSQL's plans (EXPLAIN ANALYZE) of the statements a search runs, first the lexicon's."""
        plans = []
        async with self._engine.connect() as connection:
            if search.words:
                lookup = _Explain(_TERMS.bindparams(**_term_parameters(search.words)))
                plans.append("\n".join(line for (line,) in (await connection.execute(lookup)).all()))
            page, _ = await self._statements(connection, search)
            plans.append("\n".join(line for (line,) in (await connection.execute(_Explain(page))).all()))
        return plans

    async def _statements(
        self, connection: AsyncConnection, search: CatalogSearch
    ) -> tuple[Select[Any], Select[Any] | None]:
        # Plan every search for its own values: a generic plan cannot tell a rare word from a common
        # one. And a text search reads its matches through the GIN index: the planner underestimates
        # what testing every event's tsvector costs and would otherwise scan the table for a common
        # word (100 ms instead of 15 on 100,000 events).
        if search.words:
            words = await _words(connection, search.words)  # and sets both (see _TERMS)
        else:
            await connection.execute(select(func.set_config("plan_cache_mode", "force_custom_plan", True)))
            words = []
        matches = _text_query(words)
        page = _page(search, matches)
        count = (
            select(func.count()).select_from(listed_events).where(*_conditions(search, matches))
            if search.include_total
            else None
        )
        return page, count


def _term_parameters(words: Sequence[str]) -> dict[str, Any]:
    return {"words": list(words), "similarity": SIMILARITY_MIN, "alternatives": SIMILAR_TERMS}


async def _words(connection: AsyncConnection, words: Sequence[str]) -> list[_Word]:
    rows = (await connection.execute(_TERMS, _term_parameters(words))).all()
    found = []
    for row in rows:
        if row.stop_word or not row.word:
            continue
        # Only a word that no event name, venue or city contains has similar terms.
        found.append(_Word((row.word, *(term for term in row.similar if term != row.word))))
    return found


def _text_query(words: Sequence[_Word]) -> ColumnElement[Any] | None:
    """Every word, in any of its spellings, stemmed in Spanish or English: (w1 | w1') & (w2) ..."""
    query: ColumnElement[Any] | None = None
    for word in words:
        either: ColumnElement[Any] | None = None
        for spelling in word.spellings:
            stems = func.plainto_tsquery(SPANISH, spelling).op("||")(func.plainto_tsquery(ENGLISH, spelling))
            either = stems if either is None else either.op("||")(stems)
        assert either is not None
        query = either if query is None else query.op("&&")(either)
    return query


def _available(event_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """Some session that can still sell has a zone that is not sold out (as ticketing_svc said)."""
    return exists(
        select(literal(1))
        .select_from(sessions.join(session_zones, session_zones.c.session_id == sessions.c.id))
        .where(
            sessions.c.event_id == event_id,
            sessions.c.deleted_at.is_(None),
            sessions.c.status.not_in(_CLOSED_SESSIONS),
            session_zones.c.sold_out.is_(False),
        )
    )


def _price(search: CatalogSearch, event_id: ColumnElement[Any]) -> ColumnElement[Any]:
    """The price an event is filtered and sorted by: its cheapest ticket, or with a currency its
    cheapest ticket in that currency (null when it has no zone in it)."""
    if search.prices_in is None:
        return listed_events.c.price_from
    return (
        select(func.min(zones.c.price))
        .where(zones.c.event_id == event_id, zones.c.currency == search.prices_in)
        .scalar_subquery()
    )


def _currency(search: CatalogSearch) -> ColumnElement[Any]:
    if search.prices_in is None:
        return listed_events.c.price_currency
    return literal(search.prices_in, Text)


def _conditions(search: CatalogSearch, matches: ColumnElement[Any] | None) -> list[ColumnElement[bool]]:
    e = listed_events.c
    price = _price(search, e.id)
    # The literal status lets PostgreSQL use the partial indexes (WHERE status = 'published').
    conditions = [e.status == PUBLISHED, e.deleted_at.is_(None), e.ends_at > search.ends_after]
    if search.starts_before is not None:
        conditions.append(e.starts_at < search.starts_before)
    if search.category is not None:
        conditions.append(e.category == search.category.value)
    if search.city:
        conditions.append(e.city_key == func.lower(func.immutable_unaccent(search.city)))
    if search.price_min is not None:
        conditions.append(price >= search.price_min)
    if search.price_max is not None:
        conditions.append(price <= search.price_max)
    if search.order is ListingOrder.PRICE or search.prices_in is not None:
        conditions.append(price.is_not(None))
    if search.available_only:
        conditions.append(_available(e.id))
    if search.featured_only:
        conditions.append(e.featured.is_(True))
    if matches is not None:
        conditions.append(e.search_vector.op("@@", is_comparison=True)(matches))
    return conditions


def _page(search: CatalogSearch, matches: ColumnElement[Any] | None) -> Select[Any]:
    e = listed_events.c
    shown = [
        e.id,
        e.organization_id,
        e.name,
        e.category,
        e.venue_name,
        e.venue_city,
        e.venue_address,
        e.venue_latitude,
        e.venue_longitude,
        e.image_url,
        e.starts_at,
        e.ends_at,
        e.timezone,
        e.version,
        _currency(search).label("price_currency"),
        e.featured,
    ]
    if matches is None:
        # Without a searchable word (no query, or only stop words and symbols) every event ranks
        # alike: a relevance order is the date order, with a score of 0 in its cursor.
        price = _price(search, e.id)
        unranked = literal(0.0, Double)
        keys = _keys(search.order, e.starts_at, e.id, price, unranked)
        statement = select(
            *shown,
            price.label("price_from"),
            unranked.label("score"),
            _available(e.id).label("available"),
        )
        return _ordered(statement.where(*_conditions(search, None)), keys, search)
    # A text search reads all its matches through the GIN index, ranks them, and only then orders
    # them. Left to itself, the planner may walk the date index and test every event: quick for a
    # common word, very slow for a rare one, and it cannot know beforehand which a word is.
    # Ranking reads every match's tsvector again: only a relevance order pays for it. The rank stays
    # a float (a double holds ts_rank's real exactly, and so does the cursor's Decimal of it):
    # rounding thousands of ranks to numeric cost a quarter of such a search.
    score = (
        cast(func.ts_rank(e.search_vector, matches), Double)
        if search.order is ListingOrder.RELEVANCE
        else literal(0.0, Double)
    )
    ranked = (
        select(e.id, e.starts_at, _price(search, e.id).label("price_from"), score.label("score"))
        .where(*_conditions(search, matches))
        .cte("matching")
        .prefix_with("MATERIALIZED")
    )
    r = ranked.c
    page = _ordered(select(ranked), _keys(search.order, r.starts_at, r.id, r.price_from, r.score), search)
    found = page.subquery("page")
    p = found.c
    extra = (
        [select(func.count()).select_from(ranked).scalar_subquery().label("total")]
        if search.include_total
        else []
    )
    # The rest of each event is read for the page's rows only.
    return (
        select(*shown, p.price_from, p.score, _available(p.id).label("available"), *extra)
        .select_from(found.join(listed_events, e.id == p.id))
        .order_by(*_sorted(_keys(search.order, p.starts_at, p.id, p.price_from, p.score)))
    )


def _ordered(
    statement: Select[Any], keys: list[tuple[ColumnElement[Any], bool]], search: CatalogSearch
) -> Select[Any]:
    """Rows after the cursor, in order: one more than a page, to tell whether another page follows."""
    if search.after is not None:
        statement = statement.where(_after(keys, _key_values(search.after)))
    return statement.order_by(*_sorted(keys)).limit(search.limit + 1)


def _sorted(keys: list[tuple[ColumnElement[Any], bool]]) -> list[ColumnElement[Any]]:
    return [key.desc() if descending else key.asc() for key, descending in keys]


def _keys(
    order: ListingOrder,
    starts_at: ColumnElement[Any],
    event_id: ColumnElement[Any],
    price: ColumnElement[Any],
    score: ColumnElement[Any],
) -> list[tuple[ColumnElement[Any], bool]]:
    """The sort keys of an order, each with whether it descends; the event id always comes last."""
    keys: list[tuple[ColumnElement[Any], bool]] = [(starts_at, False), (event_id, False)]
    if order is ListingOrder.PRICE:
        keys.insert(0, (price, False))
    elif order is ListingOrder.RELEVANCE:
        keys.insert(0, (score, True))
    return keys


def _key_values(position: ListingPosition) -> list[Any]:
    values: list[Any] = [position.starts_at, position.event_id]
    if position.order is ListingOrder.PRICE:
        values.insert(0, position.price)
    elif position.order is ListingOrder.RELEVANCE:
        assert position.score is not None
        values.insert(0, float(position.score))  # exact: the score came from a float
    return values


def _after(keys: Sequence[tuple[ColumnElement[Any], bool]], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``keys``."""
    if not any(descending for _, descending in keys):
        # A row comparison is what a b-tree index can seek to.
        return tuple_(*(key for key, _ in keys)) > tuple_(*(literal(value) for value in values))
    condition: ColumnElement[bool] | None = None
    for (key, descending), value in reversed(list(zip(keys, values, strict=True))):
        beyond = key < value if descending else key > value
        condition = beyond if condition is None else or_(beyond, and_(key == value, condition))
    assert condition is not None
    return condition


def _listing(row: Row[Any], order: ListingOrder) -> EventListing:
    price = Money(row.price_from, row.price_currency) if row.price_from is not None else None
    return EventListing(
        id=row.id,
        organization_id=row.organization_id,
        name=row.name,
        category=Category(row.category),
        venue=Venue(
            row.venue_name, row.venue_city, row.venue_address, row.venue_latitude, row.venue_longitude
        ),
        image_url=row.image_url,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.timezone,
        price_from=price,
        available=bool(row.available),
        version=row.version,
        featured=row.featured,
        position=ListingPosition(
            order=order,
            starts_at=row.starts_at,
            event_id=row.id,
            price=row.price_from if order is ListingOrder.PRICE else None,
            score=Decimal(row.score) if order is ListingOrder.RELEVANCE else None,
        ),
    )


class _Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement


@compiles(_Explain)
def _compile_explain(element: _Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN (ANALYZE, BUFFERS) " + compiler.process(element.statement, **kw)
