"""Health probe for container HEALTHCHECKs and scripts.

    python -m taquilla_runtime.probe grpc 127.0.0.1:50051 [--service NAME]
    python -m taquilla_runtime.probe http http://127.0.0.1:8000/healthz

Exits 0 when the target reports healthy (gRPC: grpc.health.v1 SERVING; HTTP: a 2xx answer), 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def probe_grpc(address: str, service: str = "", timeout: float = 3.0) -> bool:
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def probe_http(url: str, timeout: float = 3.0) -> bool:
    if not url.startswith(("http://", "https://")):
        return False
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310 (scheme checked above)
            return 200 <= int(reply.status) < 300
    except (urllib.error.URLError, OSError):
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m taquilla_runtime.probe", description=__doc__.splitlines()[0]
    )
    kinds = parser.add_subparsers(dest="kind", required=True)
    grpc_parser = kinds.add_parser("grpc", help="check grpc.health.v1 at HOST:PORT")
    grpc_parser.add_argument("address")
    grpc_parser.add_argument("--service", default="")
    http_parser = kinds.add_parser("http", help="GET a URL and expect 2xx")
    http_parser.add_argument("url")
    for sub in (grpc_parser, http_parser):
        sub.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args(argv)
    healthy = (
        probe_grpc(args.address, args.service, args.timeout)
        if args.kind == "grpc"
        else probe_http(args.url, args.timeout)
    )
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
