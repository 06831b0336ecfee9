"""One load-generator process of the flash sale: keep-alive HTTP/1.1 connections sending a given plan.

    python bench/flash_sale/load.py PLAN.json RESULTS.json   (started by run.py, one per process)

The plan lists the requests (a buyer's token and a JSON body each); ``connections`` coroutines each
hold one connection to the edge and take the next request when their answer arrived, so at most
``connections`` requests are in flight. The process prints ``READY`` once every connection is open,
waits for ``GO`` on stdin, sends (printing ``ANSWERED n`` every 2 s), and writes one row per
request: its index, HTTP status, the moment the answer arrived (epoch seconds), the latency (µs)
and the reservation id (201) or problem type.

The client is a few lines over asyncio streams rather than httpx or aiohttp: on two cores the load
generator competes with the platform for CPU, and this costs a fraction of their CPU per request
(run.py reports how much CPU these processes used). A request is never retried: a retried hold could
be a second hold, and the checks must see exactly what the platform answered.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvloop

Row = tuple[int, int, float, int, str]


class Connection:
    """One keep-alive HTTP/1.1 connection; reopened after the server closes it or an error."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self._host, self._port)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        if self._writer is None:
            await self.open()
        assert self._reader is not None
        assert self._writer is not None
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self._reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked()
        else:
            body = b""
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    async def _chunked(self) -> bytes:
        assert self._reader is not None
        parts = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await self._reader.readexactly(size + 2))
            if size == 0:
                return b"".join(parts)


def request_bytes(host: str, port: int, path: str, token: str, body: str) -> bytes:
    """A hold as the web app sends it: bearer token, JSON body and a fresh Idempotency-Key."""
    payload = body.encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nAccept: application/json\r\nIdempotency-Key: {uuid.uuid4()}\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload


def detail(status: int, body: bytes) -> str:
    """The reservation id of a 201, the problem type of a refusal, or a short note."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return body[:80].decode(errors="replace")
    if status == 201 and isinstance(data, dict):
        return str(data.get("id", ""))
    if isinstance(data, dict):
        return str(data.get("type", "")).rsplit("/", 1)[-1] or str(data)[:80]
    return str(data)[:80]


async def drive(
    connection: Connection,
    work: Iterator[tuple[int, bytes]],
    deadline: float,
    timeout: float,  # noqa: ASYNC109 (per request, not for the whole call)
    rows: list[Row],
) -> None:
    for index, request in work:
        if time.time() >= deadline:
            rows.append((index, 0, time.time(), 0, "not sent: time bound reached"))
            continue
        sent = time.perf_counter_ns()
        try:
            status, body = await asyncio.wait_for(connection.exchange(request), timeout)
        except (
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            TimeoutError,
            ValueError,
        ) as exc:
            connection.close()
            status, body = -1, f"{type(exc).__name__}: {exc}".encode()
        latency_us = (time.perf_counter_ns() - sent) // 1000
        rows.append((index, status, time.time(), latency_us, detail(status, body)))


async def report_progress(rows: list[Row]) -> None:
    while True:
        await asyncio.sleep(2)
        print(f"ANSWERED {len(rows)}", flush=True)


async def main(plan_path: Path, results_path: Path) -> None:
    plan = json.loads(plan_path.read_text())
    host, port, path = plan["host"], plan["port"], plan["path"]
    if host != "127.0.0.1":
        raise SystemExit("the flash sale only sends to 127.0.0.1")
    tokens: list[str] = plan["tokens"]
    requests = [
        (index, request_bytes(host, port, path, tokens[token], body))
        for index, token, body in plan["requests"]
    ]
    connections = [Connection(host, port) for _ in range(min(plan["connections"], len(requests)))]
    await asyncio.gather(*(c.open() for c in connections))
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    go = await loop.run_in_executor(None, sys.stdin.readline)
    if go.strip() != "GO":
        raise SystemExit("no GO from run.py")
    started, cpu_before = time.time(), time.process_time()
    deadline = started + plan["max_seconds"]
    rows: list[Row] = []
    work = iter(requests)  # shared: each coroutine takes the next request when it is free
    progress = asyncio.create_task(report_progress(rows))
    await asyncio.gather(*(drive(c, work, deadline, plan["timeout"], rows) for c in connections))
    progress.cancel()
    cpu = time.process_time() - cpu_before
    for connection in connections:
        connection.close()
    results_path.write_text(json.dumps({"started": started, "cpu_seconds": cpu, "rows": rows}))


if __name__ == "__main__":
    uvloop.run(main(Path(sys.argv[1]), Path(sys.argv[2])))
