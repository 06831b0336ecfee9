"""One trace follows a request across processes: HTTP at the edge, gRPC, Kafka, the consumer.

The platform's services export their spans over OTLP to an in-memory collector (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import email as email_lib
import email.policy
import secrets
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from devstack.otlp_sink import ExportedSpan
from devstack.samples import catalog_message
from tests.conftest import DEMO_PASSWORDS, Platform, login_as, new_customer, password_grant

pytestmark = pytest.mark.asyncio(loop_scope="session")
SERVER, CLIENT, PRODUCER, CONSUMER = 2, 3, 4, 5  # OTLP span kinds


async def spans_of(
    platform: Platform, trace_id: str, services: set[str], timeout: float = 15
) -> list[ExportedSpan]:
    for _ in range(int(timeout * 10)):
        spans = [s for s in platform.traces.spans() if s.trace_id == trace_id]
        if services <= {s.service for s in spans}:
            return spans
        await asyncio.sleep(0.1)
    raise AssertionError(
        f"trace {trace_id} has spans of {sorted({s.service for s in spans})}, wanted {services}"
    )


async def test_a_request_at_the_edge_and_its_grpc_calls_share_one_trace(
    platform: Platform, edge: httpx.AsyncClient
) -> None:
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    email, password = DEMO_PASSWORDS["customer"]
    reply = await edge.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": email, "password": password},
        headers={"traceparent": f"00-{trace_id}-{caller_span}-01"},
    )
    assert reply.status_code == 200
    spans = await spans_of(platform, trace_id, {"edge", "identity_svc"})
    # One span per hop: the edge's own (FastAPI's native telemetry stays off, edge/app.py).
    assert [s.name for s in spans if s.service == "edge" and s.kind != CLIENT] == ["POST /api/v1/auth/token"]
    http = next(s for s in spans if s.service == "edge" and s.kind == SERVER)
    assert http.name == "POST /api/v1/auth/token"
    assert http.parent_span_id == caller_span
    client = next(s for s in spans if s.service == "edge" and s.kind == CLIENT)
    assert client.parent_span_id == http.span_id
    server = next(s for s in spans if s.service == "identity_svc" and s.kind == SERVER)
    assert server.name == "taquilla.identity.v1.IdentityService/IssuePasswordGrant"
    assert server.parent_span_id == client.span_id


async def test_a_message_from_kafka_continues_its_producers_trace_in_the_consumer(platform: Platform) -> None:
    trace_id, producer_span = secrets.token_hex(16), secrets.token_hex(8)
    event_id = uuid.uuid4()
    envelope = catalog_message("EventCreated", id=str(event_id), name="Concierto", timezone="America/Bogota")
    producer = AIOKafkaProducer(bootstrap_servers=platform.env("EVENT_SVC_KAFKA_BOOTSTRAP_SERVERS"))
    await producer.start()
    try:
        await producer.send_and_wait(
            "taquilla.events.v1",
            envelope.to_bytes(),
            key=str(event_id).encode(),
            headers=envelope.kafka_headers(f"00-{trace_id}-{producer_span}-01"),
        )
    finally:
        await producer.stop()
    spans = await spans_of(platform, trace_id, {"notification_svc", "identity_svc"})
    consume = next(s for s in spans if s.service == "notification_svc" and s.kind == CONSUMER)
    assert consume.parent_span_id == producer_span
    lookup = next(s for s in spans if s.service == "identity_svc")
    assert lookup.name.endswith("/GetUserContact")


async def test_creating_an_event_is_one_trace_from_the_edge_to_the_organizers_email(
    platform: Platform, edge: httpx.AsyncClient
) -> None:
    from tests.integration.test_event_catalog_http import event_body

    admin = {"Authorization": f"Bearer {(await login_as(edge, 'admin'))['access_token']}"}
    email, password, tokens = await new_customer(edge)
    me = (
        await edge.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    ).json()
    organization = await edge.post(
        "/api/v1/admin/organizations", headers=admin, json={"name": f"Trazas {uuid.uuid4().hex[:8]}"}
    )
    await edge.patch(
        f"/api/v1/admin/users/{me['id']}",
        headers=admin,
        json={"role": "organizer", "organization_id": organization.json()["id"]},
    )
    organizer = (await password_grant(edge, email, password))["access_token"]

    trace_id, caller_span, correlation_id = secrets.token_hex(16), secrets.token_hex(8), str(uuid.uuid4())
    created = await edge.post(
        "/api/v1/events",
        json=event_body(),
        headers={
            "Authorization": f"Bearer {organizer}",
            "traceparent": f"00-{trace_id}-{caller_span}-01",
            "X-Correlation-ID": correlation_id,
        },
    )
    assert created.status_code == 201, created.text

    spans = await spans_of(platform, trace_id, {"edge", "event_svc", "notification_svc"}, timeout=30)
    http = next(s for s in spans if s.service == "edge" and s.kind == SERVER)
    assert http.name == "POST /api/v1/events"
    rpc = next(s for s in spans if s.service == "event_svc" and s.kind == SERVER)
    publish = next(s for s in spans if s.service == "event_svc" and s.kind == PRODUCER)
    assert publish.name == "taquilla.events.v1 publish"
    assert trace_id in publish.links, "the relay's publish links to the originating request"
    consume = next(s for s in spans if s.service == "notification_svc" and s.kind == CONSUMER)
    assert consume.parent_span_id == publish.span_id
    assert rpc.trace_id == publish.trace_id == consume.trace_id == trace_id

    for _ in range(100):  # and the organizer got the email, tagged with the request's correlation id
        mails = [
            email_lib.message_from_bytes(p.read_bytes(), policy=email_lib.policy.default)
            for p in platform.stack.maildir.glob("*.eml")
        ]
        mine = [m for m in mails if m["X-Taquilla-Correlation-ID"] == correlation_id]
        if mine:
            break
        await asyncio.sleep(0.1)
    assert [m["To"] for m in mine] == [email]
