"""Partners' webhooks through the running edge: an organizer registers an endpoint on a receiver the
test runs on 127.0.0.1, publishes an event, and the receiver gets it signed as Standard Webhooks says;
the delivery log and redelivery over REST; who may see what.

(notification_svc runs here with NOTIFICATION_SVC_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true, the
development setting; the refusals of private addresses are tested in notification_svc's own tests.)
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio

from devstack.testing import eventually
from tests.conftest import bearer, login_as, new_customer, new_organizer

pytestmark = pytest.mark.asyncio(loop_scope="session")
START = (dt.datetime.now(dt.UTC) + dt.timedelta(days=90)).replace(minute=0, second=0, microsecond=0)


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks verification, as the specification's reference libraries do it."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    return any(
        version == "v1" and hmac.compare_digest(expected, base64.b64decode(sig))
        for version, sig in (s.split(",", 1) for s in headers["webhook-signature"].split(" "))
    )


@dataclass
class Receiver:
    port: int = 0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
        self.received.append((headers, await reader.readexactly(int(headers["content-length"]))))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nreceived")
        await writer.drain()
        writer.close()

    def about(self, event_id: str) -> list[tuple[dict[str, str], bytes]]:
        return [(h, b) for h, b in self.received if json.loads(b)["data"]["event"]["id"] == event_id]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    server = await asyncio.start_server(state.serve, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state


async def publish_event(edge: httpx.AsyncClient, organizer: dict[str, str]) -> dict[str, Any]:
    body = {
        "name": f"Gira {uuid.uuid4().hex[:8]}",
        "description": "Una noche de música.",
        "category": "concert",
        "venue": {"name": f"Arena {uuid.uuid4().hex[:8]}", "city": "Sevilla", "address": "Calle Feria 2"},
        "starts_at": START.isoformat(),
        "ends_at": (START + dt.timedelta(hours=4)).isoformat(),
        "timezone": "Europe/Madrid",
        "zones": [{"name": "General", "price": {"amount": "30.00", "currency": "EUR"}, "capacity": 5}],
        "publish": True,
    }
    reply = await edge.post("/api/v1/events", headers=organizer, json=body)
    assert reply.status_code == 201, reply.text
    event: dict[str, Any] = reply.json()
    return event


async def test_an_organizers_endpoint_receives_a_signed_event_published_and_can_redeliver_it(
    edge: httpx.AsyncClient, receiver: Receiver
) -> None:
    organizer = await new_organizer(edge)
    url = f"http://127.0.0.1:{receiver.port}/taquilla"
    created = await edge.post(
        "/api/v1/webhooks", headers=organizer, json={"url": url, "types": ["event.published"]}
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    assert created.headers["location"] == f"/api/v1/webhooks/{endpoint['id']}"
    listed = (await edge.get("/api/v1/webhooks", headers=organizer)).json()
    assert [e["id"] for e in listed["items"]] == [endpoint["id"]]
    assert "secret" not in listed["items"][0]

    event = await publish_event(edge, organizer)
    [(headers, body)] = await eventually(
        lambda: receiver.about(event["id"]), within=60, what="the event.published webhook"
    )
    assert verify(endpoint["secret"], headers, body)
    payload = json.loads(body)
    assert payload["type"] == "event.published"
    assert payload["data"]["event"]["organizationId"] == endpoint["organization_id"]

    async def logged() -> list[dict[str, Any]]:
        reply = await edge.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries", headers=organizer)
        items: list[dict[str, Any]] = reply.json()["items"]
        return [d for d in items if d["status"] == "succeeded"]

    [delivery] = await eventually(logged, within=30, what="the delivery in the log")
    assert (delivery["response_status"], delivery["response_body"]) == (200, "received")
    assert delivery["webhook_id"] == headers["webhook-id"]

    again = await edge.post(
        f"/api/v1/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/redeliver", headers=organizer
    )
    assert again.status_code == 200, again.text
    first, second = await eventually(
        lambda: receiver.about(event["id"]) if len(receiver.about(event["id"])) == 2 else None,
        within=30,
        what="the redelivery",
    )
    assert first[0]["webhook-id"] == second[0]["webhook-id"]

    rotated = await edge.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret", headers=organizer)
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != endpoint["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None


async def test_other_organizations_and_customers_cannot_see_an_endpoint(
    edge: httpx.AsyncClient, receiver: Receiver
) -> None:
    organizer = await new_organizer(edge)
    created = await edge.post(
        "/api/v1/webhooks",
        headers=organizer,
        json={"url": f"http://127.0.0.1:{receiver.port}/x", "types": ["order.paid"]},
    )
    endpoint_id = created.json()["id"]
    stranger = await new_organizer(edge)
    assert (await edge.get(f"/api/v1/webhooks/{endpoint_id}", headers=stranger)).status_code == 404
    _, _, tokens = await new_customer(edge)
    customer = await edge.get("/api/v1/webhooks", headers=bearer(tokens["access_token"]))
    assert customer.status_code == 403
    assert customer.headers["content-type"].startswith("application/problem+json")
    deleted = await edge.delete(f"/api/v1/webhooks/{endpoint_id}", headers=organizer)
    assert deleted.status_code == 204


async def test_bad_fields_are_problems(edge: httpx.AsyncClient) -> None:
    organizer = await new_organizer(edge)
    for body in (
        {"url": "https://hooks.example.com/x", "types": ["order.lost"]},
        {"url": "https://hooks.example.com/x", "types": []},
        {"url": "https://user:pw@hooks.example.com/x", "types": ["order.paid"]},
        {"url": "https://hooks.example.com/" + "x" * 3000, "types": ["order.paid"]},
    ):
        reply = await edge.post("/api/v1/webhooks", headers=organizer, json=body)
        assert reply.status_code == 422, (body, reply.text)
        assert reply.json()["errors"][0]["field"] in ("types", "url", "types.0")


async def test_a_partners_api_client_manages_its_organizations_endpoints(
    edge: httpx.AsyncClient, receiver: Receiver
) -> None:
    admin = bearer((await login_as(edge, "admin"))["access_token"])
    organization = await edge.post(
        "/api/v1/admin/organizations", headers=admin, json={"name": f"Socio {uuid.uuid4().hex[:8]}"}
    )
    assert organization.status_code == 201, organization.text
    created = await edge.post(
        "/api/v1/admin/api-clients",
        headers=admin,
        json={
            "name": "ERP",
            "scopes": ["events:read", "events:write"],
            "organization_id": organization.json()["id"],
        },
    )
    assert created.status_code == 201, created.text
    credentials = httpx.BasicAuth(created.json()["client_id"], created.json()["client_secret"])
    granted = await edge.post(
        "/api/v1/auth/token", data={"grant_type": "client_credentials"}, auth=credentials
    )
    client = bearer(granted.json()["access_token"])
    registered = await edge.post(
        "/api/v1/webhooks",
        headers=client,
        json={"url": f"http://127.0.0.1:{receiver.port}/erp", "types": ["order.paid", "order.refunded"]},
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["organization_id"] == organization.json()["id"]
    listed = await edge.get("/api/v1/webhooks", headers=client)
    assert [e["id"] for e in listed.json()["items"]] == [registered.json()["id"]]
    changed = await edge.patch(
        f"/api/v1/webhooks/{registered.json()['id']}", headers=client, json={"types": ["order.paid"]}
    )
    assert changed.json()["types"] == ["order.paid"]
