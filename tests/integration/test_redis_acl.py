"""The stack's Redis, like the one in docker-compose.yml, takes no unauthenticated client: the default
user is off, and the edge and ticketing_svc each connect as their own ACL user with a generated password."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.exceptions import AuthenticationError, NoPermissionError, ResponseError

from devstack.processes import Process, free_port, port_open, wait_until
from devstack.stack import REDIS_USERS, Ports, Stack
from tests.conftest import Platform


@pytest.fixture
def stack_redis(tmp_path: Path) -> Iterator[Stack]:
    """Only the stack's Redis, started with the arguments `make up` uses."""
    stack = Stack(
        home=tmp_path / "stack", ports=Ports(redis=free_port()), durable=False, progress=lambda _: None
    )
    server = Process("redis", stack._redis_argv(), log=stack.logs / "redis.log")
    server.start()
    try:
        wait_until(lambda: port_open(stack.ports.redis), timeout=15, what="Redis", log=server.log)
        yield stack
    finally:
        server.stop()


def _refused(url: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        with pytest.raises(
            (AuthenticationError, ResponseError),
            match=r"NOAUTH|WRONGPASS|authenticated|invalid username-password",
        ):
            client.ping()
    finally:
        client.close()


def test_the_stacks_redis_refuses_clients_without_a_user(stack_redis: Stack) -> None:
    port = stack_redis.ports.redis
    _refused(f"redis://127.0.0.1:{port}/0")
    _refused(f"redis://edge:not-the-password@127.0.0.1:{port}/0")
    _refused(f"redis://default:@127.0.0.1:{port}/0")


def test_each_user_connects_with_its_url_and_dangerous_commands_stay_out_of_reach(stack_redis: Stack) -> None:
    for user in REDIS_USERS:
        client = redis.Redis.from_url(stack_redis.redis_url(user, db=3))
        try:
            assert client.ping()
            client.set(f"acl-check:{user}", "1")
            assert client.get(f"acl-check:{user}") == b"1"
            with pytest.raises(NoPermissionError):
                client.flushall()
        finally:
            client.close()


def test_the_passwords_are_kept_per_stack_home_and_private(stack_redis: Stack, tmp_path: Path) -> None:
    again = Stack(home=stack_redis.home, ports=stack_redis.ports, progress=lambda _: None)
    assert again.redis_passwords() == stack_redis.redis_passwords()
    assert (stack_redis.home / "redis-passwords.json").stat().st_mode & 0o077 == 0
    other = Stack(home=tmp_path / "other", progress=lambda _: None)
    assert other.redis_passwords()["edge"] != stack_redis.redis_passwords()["edge"]


def test_the_platform_gives_the_edge_and_ticketing_authenticated_urls(platform: Platform) -> None:
    edge_url = platform.env("EDGE_REDIS_URL")
    assert edge_url.startswith("redis://edge:")
    assert platform.env("TICKETING_SVC_REDIS_URL").startswith("redis://ticketing:")
    _refused(f"redis://127.0.0.1:{platform.stack.ports.redis}/0")
    client = redis.Redis.from_url(edge_url)
    try:
        assert client.ping()
    finally:
        client.close()
