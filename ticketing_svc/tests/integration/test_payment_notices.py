"""The provider's notifications already handled, in PostgreSQL: recorded once, forgotten after the
retention the reconciliation applies (payment_notices.received_at is the database's clock)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ticketing_svc.adapters.order_repository import SqlPaymentNotices
from ticketing_svc.adapters.orm import payment_notices
from ticketing_svc.application.order_handlers import NOTICE_RETENTION

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_notices_are_recorded_once_and_forgotten_only_after_the_retention(
    ticketing_engine: AsyncEngine,
) -> None:
    provider = f"test-{uuid.uuid4().hex[:8]}"  # this test's rows only
    async with ticketing_engine.connect() as connection:
        now = await connection.scalar(select(func.now()))
        assert isinstance(now, dt.datetime)
        await connection.execute(
            insert(payment_notices).values(
                provider=provider,
                notice_id="evt_old",
                notice_type="checkout.session.completed",
                received_at=now - NOTICE_RETENTION - dt.timedelta(minutes=1),
            )
        )
        notices = SqlPaymentNotices(connection)
        assert await notices.first_time(provider, "evt_recent", notice_type="checkout.session.completed")
        assert not await notices.first_time(provider, "evt_recent", notice_type="checkout.session.completed")
        assert not await notices.first_time(provider, "evt_old", notice_type="checkout.session.completed")

        forgotten = await notices.forget(received_before=now - NOTICE_RETENTION)

        assert forgotten >= 1  # other tests' notices are recent: only old rows go
        kept = await connection.scalars(
            select(payment_notices.c.notice_id).where(payment_notices.c.provider == provider)
        )
        assert set(kept) == {"evt_recent"}
        assert await notices.first_time(provider, "evt_old", notice_type="checkout.session.completed")
        await connection.rollback()
