"""search: accent-insensitive full text (Spanish + English) and trigram indexes; listing columns

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

PostgreSQL does the searching. ``search_vector`` is a generated tsvector over the unaccented name
(weight A), venue and city (B) and description (C), stemmed with both the Spanish and the English
configurations, behind a GIN index.

Typos: ``search_terms`` is the lexicon of the words of events' names, venues and cities (unaccented,
lower case), with a pg_trgm GIN index. A query word that is not in it is replaced by its most
similar terms ("concerto" -> "concierto", "bogta" -> "bogota") before the full-text match, the
approach of PostgreSQL's pg_trgm documentation ("Text Search Integration"): the fuzzy step looks at a
few thousand distinct words instead of every event, and the match itself stays a GIN tsvector scan.
Statement-level triggers add the words of inserted and updated events; the table has no unique
index, so concurrent writers never wait for each other on it (a rare duplicate is harmless).

``price_from`` is the cheapest zone's price, written by the repository with the zones, so listings
sort and filter by price without a join. Partial b-tree indexes serve the keyset pagination of
published events.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "catalog"
LISTED = "status = 'published' AND deleted_at IS NULL"


def _both_languages(expression: str, weight: str) -> str:
    text = f"{SCHEMA}.immutable_unaccent({expression})"
    return (
        f"setweight(to_tsvector('spanish'::regconfig, {text}), '{weight}') || "
        f"setweight(to_tsvector('english'::regconfig, {text}), '{weight}')"
    )


def _remember_terms_of(rows: str) -> str:
    """Adds the new words of the names, venues and cities of ``rows`` to the lexicon."""
    words = f"lower({SCHEMA}.immutable_unaccent(e.name || ' ' || e.venue_name || ' ' || e.venue_city))"
    return (
        f"INSERT INTO {SCHEMA}.search_terms (term) "
        f"SELECT DISTINCT word FROM {rows} AS e, regexp_split_to_table({words}, '[^[:alnum:]]+') AS word "
        "WHERE length(word) BETWEEN 3 AND 64 "
        f"AND NOT EXISTS (SELECT 1 FROM {SCHEMA}.search_terms AS known WHERE known.term = word)"
    )


def upgrade() -> None:
    # Both are trusted extensions (PostgreSQL 13+): the database owner may create them. Local and
    # compose set-ups pre-create them as superuser, which makes these statements no-ops.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")
    # unaccent() is only STABLE (its dictionary could change), so generated columns and index
    # expressions cannot call it. This wrapper names the dictionary explicitly and is declared
    # IMMUTABLE: the accepted idiom, since the dictionary is part of this schema's definition.
    op.execute(
        f"CREATE OR REPLACE FUNCTION {SCHEMA}.immutable_unaccent(value text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
        "AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$"
    )
    vector = " || ".join(
        (
            _both_languages("name", "A"),
            _both_languages("venue_name || ' ' || venue_city", "B"),
            _both_languages("description", "C"),
        )
    )
    op.execute(
        f"ALTER TABLE {SCHEMA}.events "
        "ADD COLUMN price_from numeric(12, 2), "
        "ADD COLUMN price_currency text, "
        f"ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector}) STORED, "
        "ADD COLUMN city_key text GENERATED ALWAYS AS "
        f"(lower({SCHEMA}.immutable_unaccent(venue_city))) STORED"
    )
    op.execute(
        f"UPDATE {SCHEMA}.events AS e SET price_from = cheapest.price, price_currency = cheapest.currency "
        f"FROM (SELECT DISTINCT ON (event_id) event_id, price, currency FROM {SCHEMA}.zones "
        "ORDER BY event_id, price, position) AS cheapest WHERE cheapest.event_id = e.id"
    )
    op.execute(
        f"CREATE INDEX ix_events_search_vector ON {SCHEMA}.events USING gin (search_vector) WHERE {LISTED}"
    )
    op.execute(f"CREATE TABLE {SCHEMA}.search_terms (term text NOT NULL)")
    op.execute(f"CREATE INDEX ix_search_terms_term ON {SCHEMA}.search_terms (term)")
    op.execute(
        f"CREATE INDEX ix_search_terms_trigrams ON {SCHEMA}.search_terms USING gin (term public.gin_trgm_ops)"
    )
    op.execute(
        f"CREATE FUNCTION {SCHEMA}.remember_search_terms() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {_remember_terms_of('changed')}; RETURN NULL; END $$"
    )
    for operation in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER events_search_terms_{operation.lower()} AFTER {operation} ON {SCHEMA}.events "
            "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {SCHEMA}.remember_search_terms()"
        )
    op.execute(_remember_terms_of(f"{SCHEMA}.events"))
    op.execute(f"CREATE INDEX ix_events_listed_starts ON {SCHEMA}.events (starts_at, id) WHERE {LISTED}")
    op.execute(
        f"CREATE INDEX ix_events_listed_price ON {SCHEMA}.events (price_from, starts_at, id) WHERE {LISTED}"
    )
    op.execute(
        f"CREATE INDEX ix_events_listed_city ON {SCHEMA}.events (city_key, starts_at, id) WHERE {LISTED}"
    )


def downgrade() -> None:
    for index in (
        "ix_events_listed_city",
        "ix_events_listed_price",
        "ix_events_listed_starts",
        "ix_events_search_vector",
    ):
        op.execute(f"DROP INDEX IF EXISTS {SCHEMA}.{index}")
    for operation in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS events_search_terms_{operation} ON {SCHEMA}.events")
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.remember_search_terms()")
    op.execute(f"DROP TABLE IF EXISTS {SCHEMA}.search_terms")
    op.execute(
        f"ALTER TABLE {SCHEMA}.events DROP COLUMN city_key, "
        "DROP COLUMN search_vector, DROP COLUMN price_currency, DROP COLUMN price_from"
    )
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.immutable_unaccent(text)")
