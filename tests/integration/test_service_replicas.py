"""Two event_svc processes on one database (two replicas) share one outbox: both relays take turns
publishing it, and every message reaches taquilla.events.v1 once, in order per event."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer

from devstack.processes import free_port
from devstack.testing import eventually
from taquilla_runtime.probe import probe_grpc
from tests.conftest import Platform, new_organizer
from tests.integration.test_event_listing_http import create, event_body

pytestmark = pytest.mark.asyncio(loop_scope="session")


def start_service(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", module, "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest_asyncio.fixture(loop_scope="session")
async def second_event_svc(platform: Platform, tmp_path: Path) -> AsyncIterator[str]:
    """Another event_svc on the platform's database and broker; yields its metrics URL."""
    grpc_address, metrics = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        **platform.stack.service_env(),
        "EVENT_SVC_GRPC_ADDRESS": grpc_address,
        "EVENT_SVC_METRICS_ADDRESS": metrics,
    }
    log = tmp_path / "event_svc-2.log"
    process = start_service("event_svc", env, log)
    try:

        async def serving() -> bool:
            assert process.poll() is None, f"the second event_svc exited:\n{log.read_text()[-2000:]}"
            return await asyncio.to_thread(probe_grpc, grpc_address)

        await eventually(serving, within=60, what="the second event_svc serving")
        yield f"http://{metrics}/metrics"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


async def published(metrics_url: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(metrics_url, timeout=5)).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("taquilla_outbox_published_total{") and 'outbox="catalog.outbox"' in line
    )


async def test_two_event_svc_replicas_publish_the_outbox_once_and_in_order(
    edge: httpx.AsyncClient, platform: Platform, second_event_svc: str
) -> None:
    first_metrics = f"http://127.0.0.1:{platform.stack.ports.event_metrics}/metrics"
    before = (await published(first_metrics), await published(second_event_svc))
    organizer = await new_organizer(edge)
    events: dict[str, int] = {}  # event id -> messages written for it
    while True:
        # Each event: created, published, renamed (three messages with one key, in this order).
        for _ in range(3):
            event = await create(edge, organizer, event_body(f"Réplica {uuid.uuid4().hex[:8]}", publish=True))
            renamed = await edge.patch(
                f"/api/v1/events/{event['id']}",
                headers={**organizer, "If-Match": f'"{event["version"]}"'},
                json={"name": f"Réplica {uuid.uuid4().hex[:8]} (final)"},
            )
            assert renamed.status_code == 200, renamed.text
            events[event["id"]] = 3
        now = (await published(first_metrics), await published(second_event_svc))
        if now[0] > before[0] and now[1] > before[1]:
            break  # both relays have published some of them
        assert len(events) < 60, f"one relay never published: {before} -> {now}"

    consumer = AIOKafkaConsumer(
        "taquilla.events.v1",
        bootstrap_servers=f"127.0.0.1:{platform.stack.ports.kafka}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
    )
    await consumer.start()
    seen: dict[str, list[dict[str, Any]]] = {event_id: [] for event_id in events}
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while sum(map(len, seen.values())) < sum(events.values()) and loop.time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    key = (record.key or b"").decode()
                    if key in seen:
                        seen[key].append(json.loads(record.value))
        # Anything sent twice would arrive right behind: read a little more.
        for records in (await consumer.getmany(timeout_ms=2000)).values():
            for record in records:
                key = (record.key or b"").decode()
                if key in seen:
                    seen[key].append(json.loads(record.value))
    finally:
        await consumer.stop()
    for event_id, messages in seen.items():
        assert [m["type"] for m in messages] == ["EventCreated", "EventPublished", "EventUpdated"], event_id
        assert len({m["messageId"] for m in messages}) == 3
        versions = [m["payload"]["event"]["version"] for m in messages]
        assert versions == sorted(versions), f"in order: {event_id} {versions}"
