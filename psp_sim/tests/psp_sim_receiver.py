"""A webhook endpoint for the tests: records every delivery as it arrived, and can be told to answer
500 a few times first, like an endpoint that is down."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from devstack.processes import free_port


@dataclass(frozen=True)
class Delivery:
    body: bytes
    signature: str | None
    status: int


@dataclass
class Receiver:
    url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    failures_left: int = 0

    def clear(self) -> None:
        self.deliveries.clear()
        self.failures_left = 0

    def accepted(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status == 200]

    async def _endpoint(self, request: Request) -> Response:
        body = await request.body()
        status = 200
        if self.failures_left > 0:
            self.failures_left -= 1
            status = 500
        self.deliveries.append(Delivery(body, request.headers.get("stripe-signature"), status))
        return Response(status_code=status)


@contextlib.asynccontextmanager
async def serve_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    port = free_port()
    app = Starlette(routes=[Route("/webhook", receiver._endpoint, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    receiver.url = f"http://127.0.0.1:{port}/webhook"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
