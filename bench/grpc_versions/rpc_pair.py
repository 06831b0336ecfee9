"""One grpc.aio unary-unary server or load client; run inside a venv with the grpcio under test.

    python rpc_pair.py serve PORT
    python rpc_pair.py load PORT SECONDS CONCURRENCY   -> prints {"calls": N, "seconds": S, "p99_ms": X}

Empty payloads and identity serializers: protobuf is not involved, only grpc.aio's own cost.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import grpc

METHOD = "/bench.Bench/Call"


async def _handler(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return b""


async def serve(port: int) -> None:
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    rpc = grpc.unary_unary_rpc_method_handler(_handler)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("bench.Bench", {"Call": rpc}),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print("ready", flush=True)
    await server.wait_for_termination()


async def load(port: int, seconds: float, concurrency: int) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary(METHOD)
        await call(b"")
        latencies: list[float] = []
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await call(b"")
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0
    print(json.dumps({"calls": len(latencies), "seconds": elapsed, "p99_ms": p99}))


if __name__ == "__main__":
    command, port = sys.argv[1], int(sys.argv[2])
    if command == "serve":
        asyncio.run(serve(port))
    else:
        asyncio.run(load(port, float(sys.argv[3]), int(sys.argv[4])))
