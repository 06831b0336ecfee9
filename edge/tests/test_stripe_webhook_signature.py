"""Stripe's webhook at the edge: signatures checked exactly like Stripe's libraries do, and nothing
unverified ever reaches ticketing_svc.

The route tests point the edge's ticketing address at a real grpc.aio server started here that only
records the notices it is handed (and answers ``duplicate`` for an id it saw before), so "nothing
was forwarded" is an observation of the wire, not of a mock.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
import pytest_asyncio
from pydantic import ValidationError
from redis.asyncio import Redis

from devstack.infra import Redis as RedisServer
from edge.config import DEVELOPMENT_STRIPE_WEBHOOK_SECRET, EdgeSettings
from edge.security.stripe_signatures import TOLERANCE_SECONDS, InvalidSignature, sign, verify
from taquilla.ticketing.v1 import ticketing_service_pb2 as pb
from taquilla.ticketing.v1 import ticketing_service_pb2_grpc
from taquilla_runtime.principal import Principal, PrincipalKind

# Only the route tests are coroutines; the verification and settings tests are plain functions.
route_test = pytest.mark.asyncio(loop_scope="session")

SECRET = "whsec_current_0123456789abcdef"
OLD_SECRET = "whsec_previous_fedcba9876543210"
WEBHOOK = "/api/v1/payments/stripe/webhook"
PROBLEMS = "https://taquilla.dev/problems/"
NOW = 1_764_670_000
BODY = b'{"id":"evt_1","type":"checkout.session.completed","data":{"object":{"id":"cs_1"}}}'


def header(payload: bytes, *secrets: str, at: int = NOW) -> str:
    return f"t={at}," + ",".join(f"v1={sign(payload, secret, at)}" for secret in secrets)


def refused(payload: bytes, signature: str | None, secrets: tuple[str, ...] = (SECRET,)) -> str:
    with pytest.raises(InvalidSignature) as caught:
        verify(payload, signature, secrets, now=NOW)
    return str(caught.value)


# ---------------------------------------------------------------- the verification function


def test_accepts_a_signature_made_with_the_secret() -> None:
    assert verify(BODY, header(BODY, SECRET), [SECRET], now=NOW) == NOW


def test_matches_stripes_published_algorithm() -> None:
    # HMAC-SHA256 keyed by the secret over "{t}.{body}", hex: what Stripe documents and sends.
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, SECRET, NOW) == expected
    assert verify(BODY, f"t={NOW},v1={expected}", [SECRET], now=NOW) == NOW


def test_accepts_either_secret_while_one_is_rotated() -> None:
    secrets = [SECRET, OLD_SECRET]
    assert verify(BODY, header(BODY, OLD_SECRET), secrets, now=NOW) == NOW
    assert verify(BODY, header(BODY, SECRET), secrets, now=NOW) == NOW
    assert "No signature matches" in refused(BODY, header(BODY, OLD_SECRET), (SECRET,))


def test_accepts_a_header_with_several_v1_signatures_when_one_matches() -> None:
    # Stripe signs with both its old and new secret while the endpoint's secret is rolled.
    signature = header(BODY, "whsec_someone_elses", SECRET)
    assert signature.count("v1=") == 2
    assert verify(BODY, signature, [SECRET], now=NOW) == NOW
    assert verify(BODY, f"{signature},v0=6ffbb59b2300aae63f27240", [SECRET], now=NOW) == NOW


@pytest.mark.parametrize("offset", [-TOLERANCE_SECONDS - 1, TOLERANCE_SECONDS + 1, -86_400, 86_400])
def test_refuses_a_timestamp_more_than_five_minutes_from_now(offset: int) -> None:
    at = NOW + offset
    assert "tolerance" in refused(BODY, header(BODY, SECRET, at=at))


@pytest.mark.parametrize("offset", [-TOLERANCE_SECONDS, TOLERANCE_SECONDS, -1, 1])
def test_accepts_a_timestamp_within_five_minutes_either_side(offset: int) -> None:
    at = NOW + offset
    assert verify(BODY, header(BODY, SECRET, at=at), [SECRET], now=NOW) == at


def test_refuses_a_tampered_body() -> None:
    signature = header(BODY, SECRET)
    assert "No signature matches" in refused(BODY.replace(b"cs_1", b"cs_2"), signature)
    assert "No signature matches" in refused(BODY + b" ", signature)


def test_refuses_a_signature_whose_timestamp_was_changed() -> None:
    # The timestamp is signed too: moving it to look fresh breaks the signature.
    stale_signature = sign(BODY, SECRET, NOW - 3600)
    assert "No signature matches" in refused(BODY, f"t={NOW},v1={stale_signature}")


@pytest.mark.parametrize("missing", [None, ""])
def test_refuses_a_missing_header(missing: str | None) -> None:
    assert "missing" in refused(BODY, missing)


@pytest.mark.parametrize(
    "malformed",
    [
        "garbage",
        f"v1={sign(BODY, SECRET, NOW)}",  # no timestamp
        f"t={NOW}",  # no signature
        f"t={NOW},v0={sign(BODY, SECRET, NOW)}",  # only the old scheme
        f"t=yesterday,v1={sign(BODY, SECRET, NOW)}",
        f"t=-{NOW},v1={sign(BODY, SECRET, NOW)}",
        f"t={NOW}.5,v1={sign(BODY, SECRET, NOW)}",
        f"t=٣٣٣,v1={sign(BODY, SECRET, NOW)}",  # digits, but not ASCII ones
        f"t={NOW}," + ",".join(["v1=00"] * 9),  # more signatures than Stripe ever sends
        f"t={NOW},v1=" + "a" * 3000,  # longer than Stripe's header
    ],
)
def test_refuses_a_malformed_header(malformed: str) -> None:
    refused(BODY, malformed)


@pytest.mark.parametrize(
    "signature",
    [
        "zz" * 32,
        "not-hex-at-all",
        "",
        "é" * 64,
        sign(BODY, SECRET, NOW)[:-2] + "zz",
        sign(BODY, SECRET, NOW)[:32],
    ],
)
def test_refuses_a_non_hex_or_truncated_signature(signature: str) -> None:
    refused(BODY, f"t={NOW},v1={signature}")


def test_accepts_upper_case_hex() -> None:
    assert verify(BODY, f"t={NOW},v1={sign(BODY, SECRET, NOW).upper()}", [SECRET], now=NOW) == NOW


def test_refuses_everything_when_no_secret_is_configured() -> None:
    refused(BODY, header(BODY, ""), secrets=("",))


# ---------------------------------------------------------------- settings


def test_webhook_secrets_are_read_comma_separated_or_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_STRIPE_WEBHOOK_SECRETS", f" {SECRET} , {OLD_SECRET} ")
    assert [s.get_secret_value() for s in EdgeSettings().stripe_webhook_secrets] == [SECRET, OLD_SECRET]
    monkeypatch.setenv("EDGE_STRIPE_WEBHOOK_SECRETS", json.dumps([OLD_SECRET]))
    assert [s.get_secret_value() for s in EdgeSettings().stripe_webhook_secrets] == [OLD_SECRET]
    monkeypatch.delenv("EDGE_STRIPE_WEBHOOK_SECRETS")
    assert [s.get_secret_value() for s in EdgeSettings().stripe_webhook_secrets] == [
        DEVELOPMENT_STRIPE_WEBHOOK_SECRET
    ]


def test_at_most_two_webhook_secrets_and_at_least_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_STRIPE_WEBHOOK_SECRETS", "whsec_a,whsec_b,whsec_c")
    with pytest.raises(ValidationError):
        EdgeSettings()
    monkeypatch.setenv("EDGE_STRIPE_WEBHOOK_SECRETS", " , ")
    with pytest.raises(ValidationError):
        EdgeSettings()


def test_production_refuses_the_development_webhook_secret_without_printing_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EDGE_ENVIRONMENT", "production")
    monkeypatch.setenv("EDGE_PRINCIPAL_SECRETS", "the-platform-principal-secret-0123456789")
    with pytest.raises(ValidationError) as caught:
        EdgeSettings()
    assert "stripe_webhook_secrets" in str(caught.value)
    monkeypatch.setenv("EDGE_STRIPE_WEBHOOK_SECRETS", f"{SECRET},{DEVELOPMENT_STRIPE_WEBHOOK_SECRET}")
    with pytest.raises(ValidationError) as caught:
        EdgeSettings()
    assert SECRET not in str(caught.value)
    assert DEVELOPMENT_STRIPE_WEBHOOK_SECRET not in str(caught.value)
    monkeypatch.setenv("EDGE_STRIPE_WEBHOOK_SECRETS", SECRET)
    assert EdgeSettings().stripe_webhook_secrets[0].get_secret_value() == SECRET


# ---------------------------------------------------------------- the route, with a recording server


class RecordingTicketing(ticketing_service_pb2_grpc.TicketingServiceServicer):
    """A real gRPC server on a free port that records each payment notice it is handed."""

    def __init__(self) -> None:
        self.notices: list[pb.PaymentNotice] = []
        self.callers: list[Principal | None] = []

    async def HandlePaymentNotice(
        self, request: pb.PaymentNotice, context: grpc.aio.ServicerContext
    ) -> pb.PaymentNoticeResult:
        duplicate = any(seen.notice_id == request.notice_id for seen in self.notices)
        self.notices.append(request)
        self.callers.append(Principal.from_metadata(context.invocation_metadata()))
        return pb.PaymentNoticeResult(duplicate=duplicate, order_id=request.order_id)


@pytest_asyncio.fixture(loop_scope="session")
async def ticketing() -> AsyncIterator[tuple[RecordingTicketing, str]]:
    server = grpc.aio.server()
    servicer = RecordingTicketing()
    ticketing_service_pb2_grpc.add_TicketingServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield servicer, f"127.0.0.1:{port}"
    finally:
        await server.stop(grace=None)


def stripe_event(event_type: str = "checkout.session.completed", **object_fields: Any) -> bytes:
    event = {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "type": event_type,
        "data": {
            "object": {
                "id": f"cs_test_{uuid.uuid4().hex[:12]}",
                "object": "checkout.session",
                **object_fields,
            }
        },
    }
    return json.dumps(event).encode()


def signed_now(payload: bytes, secret: str = SECRET, *, skew: int = 0) -> dict[str, str]:
    at = int(time.time()) + skew
    return {"Stripe-Signature": f"t={at},v1={sign(payload, secret, at)}", "Content-Type": "application/json"}


@route_test
async def test_a_verified_notice_is_handed_to_ticketing_as_the_edge(edge_client, ticketing) -> None:  # type: ignore[no-untyped-def]
    recorder, address = ticketing
    order_id = str(uuid.uuid4())
    payload = stripe_event(metadata={"order_id": order_id})
    event = json.loads(payload)
    async with edge_client(ticketing_svc_address=address, stripe_webhook_secrets=[SECRET]) as client:
        reply = await client.post(WEBHOOK, content=payload, headers=signed_now(payload))
        again = await client.post(WEBHOOK, content=payload, headers=signed_now(payload))
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"received": True, "duplicate": False}
    assert reply.headers["cache-control"] == "no-store"
    assert again.json() == {"received": True, "duplicate": True}
    notice = recorder.notices[0]
    assert (notice.provider, notice.notice_id, notice.notice_type, notice.object_id, notice.order_id) == (
        "stripe",
        event["id"],
        "checkout.session.completed",
        event["data"]["object"]["id"],
        order_id,
    )
    caller = recorder.callers[0]
    assert caller is not None
    assert caller.kind is PrincipalKind.SERVICE
    assert caller == Principal.for_service("edge")


@route_test
async def test_every_verified_event_type_is_forwarded_even_without_an_order(edge_client, ticketing) -> None:  # type: ignore[no-untyped-def]
    recorder, address = ticketing
    payload = stripe_event("customer.created")
    async with edge_client(ticketing_svc_address=address, stripe_webhook_secrets=[SECRET]) as client:
        reply = await client.post(WEBHOOK, content=payload, headers=signed_now(payload))
    assert reply.status_code == 200, reply.text
    assert [(n.notice_type, n.order_id) for n in recorder.notices] == [("customer.created", "")]


@route_test
async def test_a_notice_signed_with_the_previous_secret_is_accepted_during_rotation(
    edge_client, ticketing
) -> None:  # type: ignore[no-untyped-def]
    recorder, address = ticketing
    payload = stripe_event()
    async with edge_client(
        ticketing_svc_address=address, stripe_webhook_secrets=[SECRET, OLD_SECRET]
    ) as client:
        reply = await client.post(WEBHOOK, content=payload, headers=signed_now(payload, OLD_SECRET))
    assert reply.status_code == 200, reply.text
    assert len(recorder.notices) == 1


@route_test
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda p: {}, id="missing"),
        pytest.param(lambda p: {"Stripe-Signature": "t=1,v1"}, id="malformed"),
        pytest.param(lambda p: signed_now(p, "whsec_not_ours_at_all"), id="another-secret"),
        pytest.param(lambda p: signed_now(p, skew=-TOLERANCE_SECONDS - 30), id="stale"),
        pytest.param(lambda p: signed_now(p, skew=TOLERANCE_SECONDS + 30), id="future"),
        pytest.param(lambda p: signed_now(p + b"\n"), id="tampered"),
        pytest.param(lambda p: {"Stripe-Signature": f"t={int(time.time())},v1={'zz' * 32}"}, id="non-hex"),
    ],
)
async def test_a_bad_signature_is_400_and_nothing_reaches_ticketing(edge_client, ticketing, headers) -> None:  # type: ignore[no-untyped-def]
    recorder, address = ticketing
    payload = stripe_event(metadata={"order_id": str(uuid.uuid4())})
    async with edge_client(ticketing_svc_address=address, stripe_webhook_secrets=[SECRET]) as client:
        reply = await client.post(WEBHOOK, content=payload, headers=headers(payload))
    assert reply.status_code == 400, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["type"] == PROBLEMS + "invalid-signature"
    assert SECRET not in reply.text
    assert recorder.notices == []


@route_test
async def test_a_signed_body_that_is_not_a_stripe_event_is_400_and_not_forwarded(
    edge_client, ticketing
) -> None:  # type: ignore[no-untyped-def]
    recorder, address = ticketing
    async with edge_client(ticketing_svc_address=address, stripe_webhook_secrets=[SECRET]) as client:
        for payload in (
            b"not json",
            b"[]",
            b'{"id":"evt_1","type":"x"}',
            b'{"id":"evt_1","data":{"object":{}}}',
        ):
            reply = await client.post(WEBHOOK, content=payload, headers=signed_now(payload))
            assert reply.status_code == 400, payload
            assert reply.json()["type"] == PROBLEMS + "invalid-notice"
    assert recorder.notices == []


@route_test
async def test_a_body_over_256_kib_is_413_and_not_forwarded(edge_client, ticketing) -> None:  # type: ignore[no-untyped-def]
    recorder, address = ticketing
    payload = stripe_event(description="x" * (256 * 1024))
    async with edge_client(ticketing_svc_address=address, stripe_webhook_secrets=[SECRET]) as client:
        declared = await client.post(WEBHOOK, content=payload, headers=signed_now(payload))

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
            for start in range(0, len(payload), 65536):
                yield payload[start : start + 65536]

        streamed = await client.post(WEBHOOK, content=chunks(), headers=signed_now(payload))
    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert recorder.notices == []


@route_test
async def test_ticketing_unreachable_is_503_so_stripe_retries(edge_client) -> None:  # type: ignore[no-untyped-def]
    payload = stripe_event()
    async with edge_client(stripe_webhook_secrets=[SECRET], grpc_deadline_seconds=1) as client:
        reply = await client.post(WEBHOOK, content=payload, headers=signed_now(payload))
    assert reply.status_code == 503, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    assert "retry-after" in reply.headers


@route_test
async def test_the_webhook_has_no_rate_limit(edge_client, ticketing, redis_server: RedisServer) -> None:  # type: ignore[no-untyped-def]
    recorder, address = ticketing
    # A database of its own: the one-an-hour anonymous bucket must not outlive this test for others.
    redis_url = f"redis://127.0.0.1:{redis_server.port}/9"
    async with edge_client(
        ticketing_svc_address=address,
        stripe_webhook_secrets=[SECRET],
        redis_url=redis_url,
        rate_limit_anonymous="1/3600",
    ) as client:
        replies = []
        for _ in range(3):
            payload = stripe_event()
            replies.append(await client.post(WEBHOOK, content=payload, headers=signed_now(payload)))
        # Anonymous calls from the same address are limited (the bucket allows one an hour).
        limited = [await client.get("/api/v1/ticket-signing-keys") for _ in range(2)]
    await Redis.from_url(redis_url).flushdb()
    assert [r.status_code for r in replies] == [200, 200, 200]
    assert all("ratelimit-limit" not in r.headers for r in replies)
    assert limited[-1].status_code == 429
    assert len(recorder.notices) == 3
