"""The edge's catalog cache against a real Redis: versions, stampedes, failures, answers before routing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import pytest_asyncio
from redis.asyncio import Redis
from starlette.types import Message, Receive, Scope, Send

from devstack.infra import Redis as RedisServer
from devstack.processes import free_port
from devstack.testing import eventually
from edge.api.etags import body_etag, matches
from edge.cache.middleware import CachedReads
from edge.cache.store import CACHE_REQUESTS, VERSION_KEY, Cached, CatalogCache
from edge.security.middleware import AuthOutcome
from edge.security.tokens import VerifiedToken
from taquilla_runtime.principal import Principal, PrincipalKind, Role

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(f"redis://127.0.0.1:{redis_server.port}/0", socket_timeout=0.5)
    yield client
    await client.aclose()


class Service:
    """Stands in for event_svc: counts the calls and answers slowly enough for requests to pile up."""

    def __init__(self, delay: float = 0.05) -> None:
        self.calls = 0
        self.delay = delay
        self.answer = b'{"items":[]}'

    async def build(self) -> tuple[bytes, str]:
        self.calls += 1
        await asyncio.sleep(self.delay)
        return self.answer, body_etag(self.answer)


def counted(result: str) -> float:
    return CACHE_REQUESTS.labels(result)._value.get()


async def test_serves_a_stored_answer_until_the_catalog_changes(redis: Redis) -> None:
    cache = CatalogCache(redis, ttl_seconds=30)
    service = Service(delay=0)
    key = f"test:{uuid.uuid4()}"
    first = await cache.fetch(key, service.build)
    second = await cache.fetch(key, service.build)
    assert (first.result, second.result, service.calls) == ("miss", "hit", 1)
    assert second.body == first.body
    assert second.etag == first.etag == body_etag(b'{"items":[]}')

    service.answer = b'{"items":[1]}'
    await cache.bump()
    third = await cache.fetch(key, service.build)
    assert (third.result, third.body, service.calls) == ("miss", b'{"items":[1]}', 2)


async def test_entries_expire_after_the_ttl(redis: Redis) -> None:
    cache = CatalogCache(redis, ttl_seconds=0.2)
    service = Service(delay=0)
    key = f"test:{uuid.uuid4()}"
    await cache.fetch(key, service.build)

    async def rebuilt() -> bool:
        return (await cache.fetch(key, service.build)).result == "miss"

    # Redis expires the entry (its own clock); until then the answer is a hit and asks nobody.
    await eventually(rebuilt, within=5, what="the entry expiring")
    assert service.calls == 2


async def test_a_stampede_on_one_key_asks_the_service_once(redis: Redis) -> None:
    cache = CatalogCache(redis, ttl_seconds=30, wait_seconds=2)
    service = Service(delay=0.2)
    key = f"test:{uuid.uuid4()}"
    hits, misses = counted("hit"), counted("miss")
    answers = await asyncio.gather(*(cache.fetch(key, service.build) for _ in range(50)))
    assert service.calls == 1
    assert {a.body for a in answers} == {service.answer}
    assert sorted(a.result for a in answers) == ["hit"] * 49 + ["miss"]
    assert (counted("hit") - hits, counted("miss") - misses) == (49, 1)


async def test_waiting_requests_ask_the_service_themselves_when_the_rebuild_takes_too_long(
    redis: Redis,
) -> None:
    cache = CatalogCache(redis, ttl_seconds=30, wait_seconds=0.05)
    service = Service(delay=0.3)
    key = f"test:{uuid.uuid4()}"
    answers = await asyncio.gather(*(cache.fetch(key, service.build) for _ in range(3)))
    assert {a.result for a in answers} == {"miss"}
    assert service.calls == 3


async def test_a_failed_rebuild_stores_nothing_and_frees_the_key(redis: Redis) -> None:
    cache = CatalogCache(redis, ttl_seconds=30)
    key = f"test:{uuid.uuid4()}"

    async def failing() -> tuple[bytes, str]:
        raise RuntimeError("event_svc unavailable")

    with pytest.raises(RuntimeError):
        await cache.fetch(key, failing)
    service = Service(delay=0)
    assert (await cache.fetch(key, service.build)).result == "miss", "the lock was released at once"


async def test_requests_waiting_on_a_rebuild_that_fails_ask_the_service_at_once(redis: Redis) -> None:
    # A wait far longer than the test may take: before the fix the waiter sat it out.
    cache = CatalogCache(redis, ttl_seconds=30, wait_seconds=600)
    key = f"test:{uuid.uuid4()}"
    leading = asyncio.Event()
    fail_now = asyncio.Event()

    async def refused() -> tuple[bytes, str]:
        leading.set()
        await fail_now.wait()
        raise ValueError("is not a cursor this service issued")

    leader = asyncio.create_task(cache.fetch(key, refused))
    await leading.wait()
    service = Service(delay=0)
    waiter = asyncio.create_task(cache.fetch(key, service.build))
    fail_now.set()
    with pytest.raises(ValueError, match="cursor"):
        await leader
    assert (await waiter).result == "miss"
    assert service.calls == 1


async def test_without_redis_every_request_is_answered_by_the_service(tmp_path: Path) -> None:
    server = RedisServer(free_port(), tmp_path / "redis")
    server.start()
    client = Redis.from_url(
        f"redis://127.0.0.1:{server.port}/0", socket_timeout=0.3, socket_connect_timeout=0.3
    )
    cache = CatalogCache(client, ttl_seconds=30, pause_after_failure=0.2)
    service = Service(delay=0)
    key = f"test:{uuid.uuid4()}"
    errors = counted("error")
    try:
        assert (await cache.fetch(key, service.build)).result == "miss"
        server.stop()
        down = [await cache.fetch(key, service.build) for _ in range(3)]
        assert [a.result for a in down] == ["error"] * 3
        assert {a.body for a in down} == {service.answer}
        assert counted("error") - errors == 3
        server.start()

        async def through_redis() -> Cached | None:
            answer = await cache.fetch(key, service.build)
            return answer if answer.result != "error" else None

        # After a failure the cache leaves Redis alone for `pause_after_failure`, then tries again.
        back = await eventually(through_redis, within=5, what="the cache using Redis again")
        assert back.result == "miss", "an empty Redis again"
        assert (await cache.fetch(key, service.build)).result == "hit"
    finally:
        server.stop()
        await client.aclose()


async def test_if_none_match_compares_etags_weakly_and_accepts_a_list_or_a_star() -> None:
    assert matches('"a", W/"b"', '"b"')
    assert matches("*", '"b"')
    assert not matches('"a"', '"b"')
    assert not matches(None, '"b"')


class Downstream:
    """The routes behind CachedReads: records whether a request reached them."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-cache", b"route")]})
        await send({"type": "http.response.body", "body": b"from the route"})


def a_request(
    cache: CatalogCache,
    path: str,
    query: bytes,
    *,
    version: bytes | None,
    outcome: AuthOutcome | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> Scope:
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query,
        "headers": headers or [],
        "app": SimpleNamespace(state=SimpleNamespace(edge=SimpleNamespace(cache=cache))),
        "state": {"read_along": version, "auth": outcome or AuthOutcome()},
    }


async def answered(app: CachedReads, scope: Scope) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def a_token(role: Role, organization_id: uuid.UUID | None = None) -> AuthOutcome:
    principal = Principal(uuid.uuid4(), PrincipalKind.USER, role, organization_id)
    return AuthOutcome(token=VerifiedToken(principal, jti="j", expires_at=0, tier=None))


async def test_a_repeated_read_is_answered_before_the_routes_until_the_catalog_changes(redis: Redis) -> None:
    cache = CatalogCache(redis, ttl_seconds=30)
    routes = Downstream()
    app = CachedReads(routes)
    service = Service(delay=0)
    key, path, query, route = f"list:{uuid.uuid4()}", "/api/v1/events", b"q=jazz&limit=20", object()
    version = bytes(await redis.get(VERSION_KEY) or b"0")
    first = await cache.fetch(key, service.build, version=version)
    assert routes.calls == 0
    # Nothing remembered yet for this address: the routes answer.
    assert (await answered(app, a_request(cache, path, query, version=version)))[2] == b"from the route"
    cache.remember_answer(f"{path}?{query.decode()}", key, route, everyone=True)

    scope = a_request(cache, path, query, version=version, outcome=a_token(Role.CUSTOMER))
    status, headers, body = await answered(app, scope)
    assert (status, body, routes.calls) == (200, service.answer, 1)
    assert headers == {
        b"content-length": str(len(service.answer)).encode(),
        b"content-type": b"application/json",
        b"etag": first.etag.encode(),
        b"cache-control": b"public, no-cache",
        b"x-cache": b"hit",
    }
    assert scope["route"] is route, "the metrics label it with the route"
    conditional = a_request(
        cache, path, query, version=version, headers=[(b"if-none-match", first.etag.encode())]
    )
    assert (await answered(app, conditional))[:1] == (304,)
    assert routes.calls == 1

    # Not for another query string, another catalog version, a rejected token or no rate-limit decision.
    for other in (
        a_request(cache, path, b"q=jazz&limit=21", version=version),
        a_request(cache, path, query, version=version + b"1"),
        a_request(cache, path, query, version=version, outcome=AuthOutcome(rejected="expired")),
        a_request(cache, path, query, version=None),
    ):
        assert (await answered(app, other))[2] == b"from the route"
    assert routes.calls == 5


async def test_an_event_seen_differently_by_its_organization_goes_to_the_routes_for_insiders(
    redis: Redis,
) -> None:
    cache = CatalogCache(redis, ttl_seconds=30)
    routes = Downstream()
    app = CachedReads(routes)
    service = Service(delay=0)
    key, path = f"event:{uuid.uuid4()}", f"/api/v1/events/{uuid.uuid4()}"
    version = bytes(await redis.get(VERSION_KEY) or b"0")
    await cache.fetch(key, service.build, version=version)
    cache.remember_answer(f"{path}?", key, object(), everyone=False)

    outsiders = (AuthOutcome(), a_token(Role.CUSTOMER))
    insiders = (a_token(Role.ADMIN), a_token(Role.ORGANIZER, uuid.uuid4()), a_token(Role.STAFF, uuid.uuid4()))
    for outcome in outsiders:
        assert (await answered(app, a_request(cache, path, b"", version=version, outcome=outcome)))[2] == (
            service.answer
        )
    for outcome in insiders:
        assert (await answered(app, a_request(cache, path, b"", version=version, outcome=outcome)))[2] == (
            b"from the route"
        )
    assert routes.calls == len(insiders)
