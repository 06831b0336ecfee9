"""Operators find failed notifications and retry them through the edge (the platform's own services)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from devstack.samples import catalog_message
from taquilla_runtime.messaging.envelope import Envelope
from tests.conftest import Platform, bearer, login_as

pytestmark = pytest.mark.asyncio(loop_scope="session")
DEMO_ORGANIZER = "5e1d0000-0000-4000-8000-000000000002"


def published_event() -> Envelope:
    return catalog_message("EventPublished", name="Noche de Jazz", createdBy=DEMO_ORGANIZER, capacity=80)


async def wait_for(
    edge: httpx.AsyncClient, headers: dict[str, str], params: dict[str, str], count: int
) -> list[dict]:  # type: ignore[type-arg]
    for _ in range(150):
        items = (await edge.get("/api/v1/admin/notifications", headers=headers, params=params)).json()[
            "items"
        ]
        if len(items) >= count:
            return list(items)
        await asyncio.sleep(0.1)
    raise AssertionError(f"expected {count} notifications for {params}")


async def test_admin_lists_failed_notifications_and_a_retry_sends_once(
    platform: Platform, edge: httpx.AsyncClient
) -> None:
    admin = bearer((await login_as(edge, "admin"))["access_token"])
    envelope = published_event()
    platform.stack.stop_component("smtp")  # mail is down
    producer = AIOKafkaProducer(bootstrap_servers=platform.env("EVENT_SVC_KAFKA_BOOTSTRAP_SERVERS"))
    await producer.start()
    try:
        await producer.send_and_wait(
            "taquilla.events.v1",
            envelope.to_bytes(),
            key=str(envelope.event_id).encode(),
            headers=envelope.kafka_headers(),
        )
    finally:
        await producer.stop()
    failed = await wait_for(edge, admin, {"status": "failed", "event_id": str(envelope.event_id)}, 2)
    assert {n["recipient"] for n in failed} == {"organizer", "operations"}
    assert all(n["attempts"] == 5 and n["last_error"].startswith("SMTP") for n in failed)
    assert all(n["correlation_id"] == str(envelope.correlation_id) for n in failed)
    assert "@" not in str(failed), "addresses are never exposed"

    platform.stack.ensure_infrastructure()  # mail is back
    retried = await edge.post(f"/api/v1/admin/notifications/{failed[0]['id']}/retry", headers=admin)
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "sent"
    assert retried.json()["attempts"] == 6
    again = await edge.post(f"/api/v1/admin/notifications/{failed[0]['id']}/retry", headers=admin)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    mails = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in (platform.stack.maildir).glob("*.eml")
    ]
    about = [m for m in mails if m["X-Taquilla-Correlation-ID"] == str(envelope.correlation_id)]
    assert len(about) == 1


async def test_only_admins_see_notifications(edge: httpx.AsyncClient) -> None:
    organizer = bearer((await login_as(edge, "organizer"))["access_token"])
    assert (await edge.get("/api/v1/admin/notifications", headers=organizer)).status_code == 403
    assert (await edge.get("/api/v1/admin/notifications")).status_code == 401
    admin = bearer((await login_as(edge, "admin"))["access_token"])
    assert (
        await edge.post(f"/api/v1/admin/notifications/{uuid.uuid4()}/retry", headers=admin)
    ).status_code == 404
    assert (
        await edge.get("/api/v1/admin/notifications", headers=admin, params={"status": "lost"})
    ).status_code == 422
