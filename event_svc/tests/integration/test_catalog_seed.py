"""The demo catalog: created once for the demo organization, never twice."""

import datetime as dt
import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from event_svc.adapters.orm import events, outbox
from event_svc.config import Settings
from event_svc.seed import DEMO_ORGANIZATION_ID, demo_events, seed

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_seeding_creates_the_demo_events_once(
    catalog_database_url: str, catalog_engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(database_url=catalog_database_url)
    caplog.set_level(logging.INFO, logger="event_svc.seed")
    await seed(settings)
    await seed(settings)
    async with catalog_engine.connect() as connection:
        rows = (
            await connection.execute(
                select(events.c.id, events.c.status, events.c.featured).where(
                    events.c.organization_id == DEMO_ORGANIZATION_ID
                )
            )
        ).all()
        messages = await connection.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.key.in_([str(row.id) for row in rows]))
        )
    demos = demo_events(dt.date.today())
    assert {row.id for row in rows} == {demo.id for demo in demos}
    assert sorted(row.status for row in rows) == ["draft", "published", "published", "published"]
    featured = {row.id for row in rows if row.featured}
    assert featured == {demo.id for demo in demos if demo.featured}
    assert len(featured) == 2
    # One EventCreated per event, EventPublished for the published ones, EventUpdated for the featured.
    assert messages == len(demos) + 3 + 2
    seeded = [r.events_created for r in caplog.records if r.name == "event_svc.seed"]  # type: ignore[attr-defined]
    assert seeded == [len(demos), 0]
