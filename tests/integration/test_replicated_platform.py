"""A second replica of every service and of the edge, started beside the platform's own on the same
databases, Redis and broker, behaves as one platform with it (issue: several replicas of everything):

- a sign-out at one edge is honoured at the other; a customer's rate limit is one bucket across both;
  a catalog change made through one edge is seen at the other on the very next request (the cache's
  version lives in Redis, not in a process);
- the two event_svc processes share one outbox: both relays publish (taking turns under the lock)
  and every message reaches taquilla.events.v1 once, in order per event;
- a sale through the second edge (second identity, event and ticketing processes) sells what the
  first edge sees, and its buyer's order is read back through the first.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer

from devstack.processes import free_port
from devstack.testing import eventually
from taquilla_runtime.probe import probe_grpc
from tests.conftest import USER_LIMIT, Platform, bearer, new_customer, new_organizer
from tests.integration.test_event_listing_http import a_word, create, event_body, names

pytestmark = pytest.mark.asyncio(loop_scope="session")

SERVICES = ("identity_svc", "event_svc", "notification_svc", "ticketing_svc")


@dataclass
class Second:
    """The second replicas: the edge's client, and each service's gRPC and metrics addresses."""

    edge: httpx.AsyncClient
    grpc: dict[str, str]
    metrics: dict[str, str]


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def second(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Second]:
    grpc = {service: f"127.0.0.1:{free_port()}" for service in SERVICES}
    metrics = {service: f"127.0.0.1:{free_port()}" for service in SERVICES}
    edge_port = free_port()
    env = {
        **os.environ,
        **platform.stack.service_env(),
        **{f"{s.upper()}_GRPC_ADDRESS": grpc[s] for s in SERVICES},
        **{f"{s.upper()}_METRICS_ADDRESS": metrics[s] for s in SERVICES},
        # Each second replica calls the other second replicas.
        "EVENT_SVC_TICKETING_SVC_ADDRESS": grpc["ticketing_svc"],
        "NOTIFICATION_SVC_IDENTITY_SVC_ADDRESS": grpc["identity_svc"],
        "NOTIFICATION_SVC_TICKETING_SVC_ADDRESS": grpc["ticketing_svc"],
        "TICKETING_SVC_EVENT_SVC_ADDRESS": grpc["event_svc"],
        "EDGE_PORT": str(edge_port),
        "EDGE_INTERNAL_PORT": str(free_port()),
        "EDGE_IDENTITY_SVC_ADDRESS": grpc["identity_svc"],
        "EDGE_EVENT_SVC_ADDRESS": grpc["event_svc"],
        "EDGE_NOTIFICATION_SVC_ADDRESS": grpc["notification_svc"],
        "EDGE_TICKETING_SVC_ADDRESS": grpc["ticketing_svc"],
    }
    logs = Path(tmp_path_factory.mktemp("second-replicas"))
    processes = {s: start([sys.executable, "-m", s, "serve"], env, logs / f"{s}.log") for s in SERVICES}
    processes["edge"] = start([sys.executable, "-m", "edge"], env, logs / "edge.log")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{edge_port}", timeout=30) as client:

            async def ready() -> bool:
                for name, process in processes.items():
                    assert process.poll() is None, (
                        f"{name} exited:\n{(logs / f'{name}.log').read_text()[-2000:]}"
                    )
                for service in SERVICES:
                    if not await asyncio.to_thread(probe_grpc, grpc[service]):
                        return False
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, within=90, what="the second replicas ready")
            yield Second(client, grpc, {s: f"http://{a}/metrics" for s, a in metrics.items()})
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            process.wait(timeout=30)


async def test_a_sign_out_at_one_edge_is_honoured_at_the_other(
    edge: httpx.AsyncClient, second: Second
) -> None:
    _, _, tokens = await new_customer(edge)
    me = bearer(tokens["access_token"])
    assert (await second.edge.get("/api/v1/users/me", headers=me)).status_code == 200
    assert (await edge.post("/api/v1/auth/logout", headers=me)).status_code == 204
    refused = await second.edge.get("/api/v1/users/me", headers=me)
    assert refused.status_code == 401, refused.text


async def test_a_customers_rate_limit_is_one_bucket_across_edges(
    edge: httpx.AsyncClient, second: Second
) -> None:
    _, _, tokens = await new_customer(edge)
    me = bearer(tokens["access_token"])
    answers = []
    for n in range(USER_LIMIT + 10):
        reply = await (edge if n % 2 else second.edge).get("/api/v1/users/me", headers=me)
        answers.append(reply.status_code)
    assert answers.count(200) == USER_LIMIT, "the two edges counted into one bucket"
    assert answers[USER_LIMIT:] == [429] * 10


async def test_a_catalog_change_through_one_edge_is_seen_at_the_other_at_once(
    edge: httpx.AsyncClient, second: Second
) -> None:
    organizer = await new_organizer(edge)
    word = a_word()
    search = {"q": word}
    assert names(await second.edge.get("/api/v1/events", params=search)) == []  # cached at the second edge
    event = await create(edge, organizer, event_body(f"Gira {word}", publish=True))
    assert names(await second.edge.get("/api/v1/events", params=search)) == [f"Gira {word}"]
    assert names(await edge.get("/api/v1/events", params=search)) == [f"Gira {word}"]  # cached at the first
    renamed = await second.edge.patch(
        f"/api/v1/events/{event['id']}",
        headers={**organizer, "If-Match": f'"{event["version"]}"'},
        json={"name": f"Gira {word} final"},
    )
    assert renamed.status_code == 200, renamed.text
    assert names(await edge.get("/api/v1/events", params=search)) == [f"Gira {word} final"]


async def test_a_sale_through_the_second_replicas_is_one_with_the_first(
    edge: httpx.AsyncClient, second: Second
) -> None:
    organizer = await new_organizer(edge)
    event = await create(edge, organizer, event_body(f"Réplica {a_word()}", publish=True))
    _, _, tokens = await new_customer(edge)
    me = bearer(tokens["access_token"])
    zone = event["zones"][0]["id"]
    session = event["sessions"][0]["id"]
    held = await second.edge.post(
        "/api/v1/reservations",
        headers={**me, "Idempotency-Key": str(uuid.uuid4())},
        json={"session_id": session, "items": [{"zone_id": zone, "quantity": 2}]},
    )
    assert held.status_code == 201, held.text
    # Read back through the first edge and the first ticketing_svc: one inventory, one reservation.
    mine = await edge.get(f"/api/v1/reservations/{held.json()['id']}", headers=me)
    assert (mine.status_code, mine.json()["status"]) == (200, "held")

    async def places_left_seen_by_both() -> bool:
        counts = []
        for client in (edge, second.edge):
            reply = await client.get(f"/api/v1/events/{event['id']}/availability")
            lines = reply.json()["zones"] if reply.status_code == 200 else []
            counts.append(next((z["available"] for z in lines if z["zone_id"] == zone), None))
        return counts == [98, 98]

    await eventually(places_left_seen_by_both, within=30, what="both edges seeing 98 places left")


async def published(metrics_url: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(metrics_url, timeout=5)).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("taquilla_outbox_published_total{") and 'outbox="catalog.outbox"' in line
    )


async def test_two_event_svc_replicas_publish_the_outbox_once_and_in_order(
    edge: httpx.AsyncClient, platform: Platform, second: Second
) -> None:
    first_metrics = f"http://127.0.0.1:{platform.stack.ports.event_metrics}/metrics"
    before = (await published(first_metrics), await published(second.metrics["event_svc"]))
    organizer = await new_organizer(edge)
    events: dict[str, int] = {}  # event id -> messages written for it
    while True:
        # Each event: created, published, renamed (three messages with one key, in this order),
        # through either edge (so through either event_svc).
        for client in (edge, second.edge, edge):
            event = await create(
                client, organizer, event_body(f"Réplica {uuid.uuid4().hex[:8]}", publish=True)
            )
            renamed = await client.patch(
                f"/api/v1/events/{event['id']}",
                headers={**organizer, "If-Match": f'"{event["version"]}"'},
                json={"name": f"Réplica {uuid.uuid4().hex[:8]} (final)"},
            )
            assert renamed.status_code == 200, renamed.text
            events[event["id"]] = 3
        now = (await published(first_metrics), await published(second.metrics["event_svc"]))
        if now[0] > before[0] and now[1] > before[1]:
            break  # both relays have published some of them
        assert len(events) < 60, f"one relay never published: {before} -> {now}"
    seen = await read_messages(platform, events)
    for event_id, messages in seen.items():
        assert [m["type"] for m in messages] == ["EventCreated", "EventPublished", "EventUpdated"], event_id
        assert len({m["messageId"] for m in messages}) == 3
        versions = [m["payload"]["event"]["version"] for m in messages]
        assert versions == sorted(versions), f"in order: {event_id} {versions}"


async def read_messages(platform: Platform, events: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    """The messages of ``events`` on taquilla.events.v1, with a little more read after the last
    expected one (anything sent twice would arrive right behind)."""
    consumer = AIOKafkaConsumer(
        "taquilla.events.v1",
        bootstrap_servers=f"127.0.0.1:{platform.stack.ports.kafka}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
    )
    await consumer.start()
    seen: dict[str, list[dict[str, Any]]] = {event_id: [] for event_id in events}

    async def read(timeout_ms: int) -> None:
        for records in (await consumer.getmany(timeout_ms=timeout_ms)).values():
            for record in records:
                key = (record.key or b"").decode()
                if key in seen:
                    seen[key].append(json.loads(record.value))

    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while sum(map(len, seen.values())) < sum(events.values()) and loop.time() < deadline:
            await read(500)
        await read(2000)
    finally:
        await consumer.stop()
    return seen
