"""The rate limiter's pipelined Redis client against a real Redis: order, recovery, timeouts, auth."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import uvloop
from redis.asyncio import Redis

from devstack.infra import Redis as RedisServer
from devstack.processes import free_port
from edge.security.ratelimit import Limit, RateLimiter
from edge.security.script_pipe import ScriptPipe, ScriptUnavailable

on_the_session_loop = pytest.mark.asyncio(loop_scope="session")

# Counts calls per key: each call sees its own number.
COUNTER = "return redis.call('INCR', KEYS[1])"


@pytest_asyncio.fixture(loop_scope="session")
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(f"redis://127.0.0.1:{redis_server.port}/0", socket_timeout=2)
    yield client
    await client.aclose()


def url(server: RedisServer, db: int = 0) -> str:
    return f"redis://127.0.0.1:{server.port}/{db}"


@on_the_session_loop
async def test_concurrent_calls_share_one_connection_and_each_gets_its_own_reply(
    redis_server: RedisServer, redis: Redis
) -> None:
    pipe = ScriptPipe(url(redis_server), COUNTER)
    key = f"test:{uuid.uuid4()}"
    clients_before = len(await redis.client_list())
    try:
        replies = await asyncio.gather(*(pipe([key], []) for _ in range(500)))
        assert sorted(replies) == list(range(1, 501)), "every call ran once and got its own reply"
        assert len(await redis.client_list()) == clients_before + 1, "one connection"
    finally:
        await pipe.close()


@on_the_session_loop
async def test_a_script_redis_forgot_is_sent_again_in_full(redis_server: RedisServer, redis: Redis) -> None:
    pipe = ScriptPipe(url(redis_server), COUNTER)
    key = f"test:{uuid.uuid4()}"
    try:
        assert await pipe([key], []) == 1
        await redis.script_flush()
        assert await pipe([key], []) == 2
        assert await pipe([key], []) == 3
    finally:
        await pipe.close()


@on_the_session_loop
async def test_an_error_reply_fails_that_call_only(redis_server: RedisServer) -> None:
    pipe = ScriptPipe(url(redis_server), "return redis.call('INCRBY', KEYS[1], ARGV[1])")
    key = f"test:{uuid.uuid4()}"
    try:
        good, bad, after = await asyncio.gather(
            pipe([key], [2]), pipe([key], ["not a number"]), pipe([key], [3]), return_exceptions=True
        )
        assert (good, after) == (2, 5)
        assert isinstance(bad, ScriptUnavailable)
        assert "not an integer" in str(bad)
    finally:
        await pipe.close()


@on_the_session_loop
async def test_no_reply_in_time_fails_the_waiting_calls_and_the_next_call_connects_again(
    redis_server: RedisServer, redis: Redis
) -> None:
    pipe = ScriptPipe(url(redis_server), COUNTER, timeout=0.2)
    key = f"test:{uuid.uuid4()}"
    try:
        assert await pipe([key], []) == 1
        await redis.execute_command("CLIENT", "PAUSE", "10000", "WRITE")  # Redis holds write commands back
        started = time.monotonic()
        stalled = await asyncio.gather(*(pipe([key], []) for _ in range(3)), return_exceptions=True)
        assert all(isinstance(r, ScriptUnavailable) for r in stalled), stalled
        assert time.monotonic() - started < 0.5, "no call waits longer than the timeout"
        await redis.execute_command("CLIENT", "UNPAUSE")  # Redis answers again
        assert await pipe([key], []) >= 2
    finally:
        await redis.execute_command("CLIENT", "UNPAUSE")
        await pipe.close()


@on_the_session_loop
async def test_redis_stopped_and_started_again(tmp_path: Path) -> None:
    server = RedisServer(free_port(), tmp_path / "redis")
    server.start()
    pipe = ScriptPipe(url(server), COUNTER, timeout=0.3)
    key = f"test:{uuid.uuid4()}"
    try:
        assert await pipe([key], []) == 1
        server.stop()
        with pytest.raises(ScriptUnavailable):
            await pipe([key], [])
        with pytest.raises(ScriptUnavailable, match="cannot reach Redis"):
            await pipe([key], [])
        server.start()
        assert await pipe([key], []) == 1, "an empty Redis again, reached on the next call"
    finally:
        await pipe.close()
        server.stop()


@on_the_session_loop
async def test_a_password_and_a_database_in_the_url(tmp_path: Path) -> None:
    server = RedisServer(free_port(), tmp_path / "redis")
    server.start()
    admin = Redis.from_url(url(server))
    key = f"test:{uuid.uuid4()}"
    try:
        await admin.config_set("requirepass", "s3cret-pass")
        pipe = ScriptPipe(f"redis://:s3cret-pass@127.0.0.1:{server.port}/3", COUNTER)
        assert await pipe([key], []) == 1
        await pipe.close()
        checker = Redis.from_url(f"redis://:s3cret-pass@127.0.0.1:{server.port}/3")
        assert await checker.get(key) == b"1", "the key went to database 3"
        await checker.aclose()
        wrong = ScriptPipe(f"redis://:wrong@127.0.0.1:{server.port}/0", COUNTER)
        with pytest.raises(ScriptUnavailable, match="set-up"):
            await wrong([key], [])
    finally:
        await admin.aclose()
        server.stop()


def test_runs_on_uvloop_as_the_edge_does(redis_server: RedisServer) -> None:
    async def decide() -> list[bool]:
        limiter = RateLimiter(Redis.from_url(url(redis_server)), url(redis_server))
        key = f"test:{uuid.uuid4()}"
        try:
            decisions = await asyncio.gather(*(limiter.check(key, Limit(3, 60)) for _ in range(5)))
            return [d.allowed for d in decisions if d is not None]
        finally:
            await limiter.close()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert sorted(runner.run(decide())) == [False, False, True, True, True]
