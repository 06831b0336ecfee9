"""One Lua script run in Redis on every request, over one pipelined connection.

The rate limiter runs its script once per request, so what the client costs per call is a large
part of what a cached answer costs. redis-py's asyncio client takes a connection from a pool (a
lock), wraps every read in a timeout and packs the command generically; here every call is written
at once to one shared connection, and replies, which Redis sends in order, are matched to waiting
calls in order (hiredis parses them). That is pipelining: concurrent requests share the connection
without waiting for each other's round trips.

Failures: a call fails with :class:`ScriptUnavailable` on a refused or lost connection, an error
reply or no reply within the timeout (the connection is then dropped, failing the calls still
waiting on it); the next call connects again. The script is sent by its SHA1 (EVALSHA) and, when
Redis does not know it (restarted, SCRIPT FLUSH), once in full (EVAL).
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections import deque
from typing import Any, cast

import hiredis
from redis.connection import SSLConnection, parse_url


class ScriptUnavailable(Exception):
    """Redis did not run the script (connection refused or lost, timeout, error reply)."""


def _command(*parts: bytes | str | int) -> bytes:
    """A command in RESP, the form Redis reads: an array of bulk strings."""
    encoded = [part if isinstance(part, bytes) else str(part).encode() for part in parts]
    return b"*%d\r\n%s" % (len(encoded), b"".join([b"$%d\r\n%s\r\n" % (len(p), p) for p in encoded]))


class _Connection(asyncio.Protocol):
    """Commands sent in one turn of the event loop leave in one write (one system call)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.unsent: list[bytes] = []
        self.reader = hiredis.Reader(notEnoughData=False)
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not asyncio.Transport subclasses

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while self.waiting:
            reply = self.reader.gets()
            if reply is False:
                return
            waiter = self.waiting.popleft()
            if not waiter.done():  # a timed-out call is already done
                if isinstance(reply, hiredis.ReplyError):
                    waiter.set_exception(reply)
                else:
                    waiter.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_exception(ScriptUnavailable("connection to Redis lost"))

    def send(self, command: bytes) -> asyncio.Future[Any]:
        waiter: asyncio.Future[Any] = self.loop.create_future()
        self.waiting.append(waiter)
        if not self.unsent:
            self.loop.call_soon(self._flush)
        self.unsent.append(command)
        return waiter

    def _flush(self) -> None:
        commands, self.unsent = self.unsent, []
        if self.transport is not None and not self.closed:
            self.transport.write(b"".join(commands))

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.close()


class ScriptPipe:
    """Runs ``script`` in the Redis at ``url`` (redis:// or rediss://, with user, password and db)."""

    def __init__(self, url: str, script: str, *, timeout: float = 0.5) -> None:
        options: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]
        self._host = options.get("host") or "127.0.0.1"
        self._port = int(options.get("port") or 6379)
        self._tls = options.get("connection_class") is SSLConnection
        self._setup = []
        if options.get("password"):
            auth = (
                [options["username"], options["password"]]
                if options.get("username")
                else [options["password"]]
            )
            self._setup.append(_command("AUTH", *auth))
        if int(options.get("db") or 0):
            self._setup.append(_command("SELECT", int(options["db"])))
        self._script = script.encode()
        # Redis names scripts by the SHA1 of their text.
        self._sha = hashlib.sha1(self._script, usedforsecurity=False).hexdigest().encode()
        self._timeout = timeout
        self._connection: _Connection | None = None
        self._connecting: asyncio.Task[_Connection] | None = None

    async def __call__(self, keys: list[str], args: list[int | str]) -> Any:
        connection = await self._connected()
        try:
            return await self._run(connection, b"EVALSHA", self._sha, keys, args)
        except hiredis.ReplyError as error:
            if not str(error).startswith("NOSCRIPT"):
                raise ScriptUnavailable(f"Redis refused the script: {error}") from None
        try:
            return await self._run(connection, b"EVAL", self._script, keys, args)
        except hiredis.ReplyError as error:
            raise ScriptUnavailable(f"Redis refused the script: {error}") from None

    async def _run(
        self, connection: _Connection, verb: bytes, script: bytes, keys: list[str], args: list[int | str]
    ) -> Any:
        if connection.closed:
            raise ScriptUnavailable("connection to Redis lost")
        waiter = connection.send(_command(verb, script, len(keys), *keys, *args))
        timer = asyncio.get_running_loop().call_later(self._timeout, self._expire, connection, waiter)
        try:
            return await waiter
        finally:
            timer.cancel()

    def _expire(self, connection: _Connection, waiter: asyncio.Future[Any]) -> None:
        if not waiter.done():
            waiter.set_exception(ScriptUnavailable(f"no reply from Redis within {self._timeout} s"))
            # The replies still due on this connection can no longer be trusted to arrive: start over.
            connection.close()

    async def _connected(self) -> _Connection:
        connection = self._connection
        if connection is not None and not connection.closed:
            return connection
        if self._connecting is None:  # one connection attempt shared by the calls that need it
            self._connecting = asyncio.ensure_future(self._connect())
        connecting = self._connecting
        try:
            return await asyncio.shield(connecting)
        finally:
            if connecting.done():
                self._connecting = None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(loop),
                    self._host,
                    self._port,
                    ssl=ssl.create_default_context() if self._tls else None,
                ),
                self._timeout,
            )
        except (OSError, TimeoutError) as error:
            raise ScriptUnavailable(f"cannot reach Redis: {type(error).__name__}") from None
        try:
            for command in self._setup:  # AUTH, SELECT
                await asyncio.wait_for(connection.send(command), self._timeout)
        except (ScriptUnavailable, TimeoutError, hiredis.ReplyError) as error:
            connection.close()
            raise ScriptUnavailable(
                f"Redis refused the connection's set-up: {type(error).__name__}"
            ) from None
        self._connection = connection
        return connection

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
