"""Migrations over data written under the previous revision (a database of its own, real PostgreSQL)."""

import dataclasses
import subprocess
import uuid

import pytest

from devstack.pytest_plugin import PostgresServer
from event_svc.config import SCHEMA
from event_svc.entrypoints.cli import MIGRATIONS
from taquilla_runtime import migrations

SLOT = "'2031-03-01 20:00+00', '2031-03-01 22:00+00'"


def event_row(organization: uuid.UUID, status: str) -> tuple[uuid.UUID, str]:
    event_id = uuid.uuid4()
    return event_id, (
        f"INSERT INTO {SCHEMA}.events (id, organization_id, created_by, name, category, venue_name, "
        "venue_city, venue_address, starts_at, ends_at, timezone, status, version) VALUES "
        f"('{event_id}', '{organization}', '{uuid.uuid4()}', 'Concierto', 'concert', 'Foro Sol', "
        "'CDMX', 'Viaducto 1', '2031-03-01 18:00+00', '2031-03-02 02:00+00', 'America/Mexico_City', "
        f"'{status}', 1);"
    )


def session_row(event_id: uuid.UUID, status: str, place: str = "", organization: str = "") -> str:
    columns = "id, event_id, starts_at, ends_at, venue_key, place_key, status"
    values = f"'{uuid.uuid4()}', '{event_id}', {SLOT}, 'foro sol|cdmx', '{place}', '{status}'"
    if organization:
        columns, values = f"{columns}, organization_id", f"{values}, '{organization}'"
    return f"INSERT INTO {SCHEMA}.sessions ({columns}) VALUES ({values});"


def test_0008_gives_sessions_their_organization_and_lets_drafts_of_others_share_a_slot(
    postgres_server: PostgresServer,
) -> None:
    cluster = postgres_server.cluster
    db = dataclasses.replace(
        postgres_server.service_database("event_svc"), database=f"taquilla_events_{uuid.uuid4().hex[:8]}"
    )
    cluster.ensure_service_database(db)
    url = db.url(postgres_server.port)
    migrations.upgrade(MIGRATIONS, url, SCHEMA, "0007")

    owner, other = uuid.uuid4(), uuid.uuid4()
    published, published_sql = event_row(owner, "published")
    draft, draft_sql = event_row(owner, "draft")
    theirs, theirs_sql = event_row(other, "draft")
    # What the old constraint allowed: one active session per slot, anyone's cancelled ones beside it.
    cluster.psql(
        published_sql
        + draft_sql
        + theirs_sql
        + session_row(published, "on_sale")
        + session_row(draft, "draft", place="sala 2")
        + session_row(theirs, "cancelled"),
        database=db.database,
    )

    migrations.upgrade(MIGRATIONS, url, SCHEMA)

    copied = cluster.query(
        f"SELECT count(*) FROM {SCHEMA}.sessions s JOIN {SCHEMA}.events e ON e.id = s.event_id "
        "WHERE s.organization_id = e.organization_id",
        database=db.database,
    )
    assert copied.strip() == "3"
    # Another organization's session may not be published into the slot; one organization's
    # sessions never overlap; a session's organization is its event's.
    refusals = {
        "ex_sessions_public_slot": session_row(theirs, "on_sale", organization=str(other)),
        "ex_sessions_organization_slot": session_row(draft, "draft", organization=str(owner)),
        "fk_sessions_event_organization": session_row(
            draft, "draft", place="sala 9", organization=str(other)
        ),
    }
    for constraint, statement in refusals.items():
        with pytest.raises(subprocess.CalledProcessError) as refused:
            cluster.psql(statement, database=db.database)
        assert constraint in refused.value.stderr
    # But another organization's draft may now share the published slot.
    cluster.psql(session_row(theirs, "draft", organization=str(other)), database=db.database)


def test_0010_gives_existing_events_the_default_payment_time_no_reentry_and_transfers(
    postgres_server: PostgresServer,
) -> None:
    cluster = postgres_server.cluster
    db = dataclasses.replace(
        postgres_server.service_database("event_svc"), database=f"taquilla_events_{uuid.uuid4().hex[:8]}"
    )
    cluster.ensure_service_database(db)
    url = db.url(postgres_server.port)
    migrations.upgrade(MIGRATIONS, url, SCHEMA, "0009")
    event_id, sql = event_row(uuid.uuid4(), "published")
    cluster.psql(sql, database=db.database)

    migrations.upgrade(MIGRATIONS, url, SCHEMA)

    settings = cluster.query(
        "SELECT payment_minutes, reentry_allowed, transfers_allowed "
        f"FROM {SCHEMA}.events WHERE id = '{event_id}'",
        database=db.database,
    )
    assert settings == "10|f|t"
    with pytest.raises(subprocess.CalledProcessError) as refused:
        cluster.psql(f"UPDATE {SCHEMA}.events SET payment_minutes = 61", database=db.database)
    assert "ck_events_payment_minutes" in refused.value.stderr
