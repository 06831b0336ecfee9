"""Two edge processes in front of the same services (two replicas behind a load balancer) behave as
one: a sign-out at one is honoured by the other, a customer's rate limit is one bucket whichever
edge counts it, and a catalog change made through one edge is visible at the other on the very next
request (the response cache's version lives in Redis, not in a process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from devstack.processes import free_port
from devstack.testing import eventually
from tests.conftest import USER_LIMIT, Platform, bearer, new_customer, new_organizer
from tests.integration.test_event_listing_http import a_word, create, event_body, names

pytestmark = pytest.mark.asyncio(loop_scope="session")


def start_edge(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "edge"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest_asyncio.fixture(loop_scope="session")
async def other_edge(
    platform: Platform, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    port = free_port()
    log = Path(tmp_path_factory.mktemp("edge-2")) / "edge.log"
    env = {**os.environ, **platform.stack.service_env(), "EDGE_PORT": str(port)}
    process = start_edge(env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:

            async def ready() -> bool:
                assert process.poll() is None, f"the second edge exited:\n{log.read_text()[-2000:]}"
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, within=60, what="the second edge ready")
            yield client
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


async def test_a_sign_out_at_one_edge_is_honoured_at_the_other(
    edge: httpx.AsyncClient, other_edge: httpx.AsyncClient
) -> None:
    _, _, tokens = await new_customer(edge)
    me = bearer(tokens["access_token"])
    assert (await other_edge.get("/api/v1/users/me", headers=me)).status_code == 200
    assert (await edge.post("/api/v1/auth/logout", headers=me)).status_code == 204
    refused = await other_edge.get("/api/v1/users/me", headers=me)
    assert refused.status_code == 401, refused.text


async def test_a_customers_rate_limit_is_one_bucket_across_edges(
    edge: httpx.AsyncClient, other_edge: httpx.AsyncClient
) -> None:
    _, _, tokens = await new_customer(edge)
    me = bearer(tokens["access_token"])
    answers = []
    for n in range(USER_LIMIT + 10):
        reply = await (edge if n % 2 else other_edge).get("/api/v1/users/me", headers=me)
        answers.append(reply.status_code)
    assert answers.count(200) == USER_LIMIT, "the two edges counted into one bucket"
    assert answers[USER_LIMIT:] == [429] * 10


async def test_a_catalog_change_through_one_edge_is_seen_at_the_other_at_once(
    edge: httpx.AsyncClient, other_edge: httpx.AsyncClient
) -> None:
    organizer = await new_organizer(edge)
    word = a_word()
    search = {"q": word}
    assert names(await other_edge.get("/api/v1/events", params=search)) == []  # cached at the second edge
    event = await create(edge, organizer, event_body(f"Gira {word}", publish=True))
    assert names(await other_edge.get("/api/v1/events", params=search)) == [f"Gira {word}"]
    assert names(await edge.get("/api/v1/events", params=search)) == [f"Gira {word}"]  # cached at the first
    renamed = await other_edge.patch(
        f"/api/v1/events/{event['id']}",
        headers={**organizer, "If-Match": f'"{event["version"]}"'},
        json={"name": f"Gira {word} final"},
    )
    assert renamed.status_code == 200, renamed.text
    assert names(await edge.get("/api/v1/events", params=search)) == [f"Gira {word} final"]
