"""`python -m edge`: serves the gateway with uvicorn on uvloop."""

from __future__ import annotations

import socket

import uvicorn

from edge.config import EdgeSettings
from taquilla_runtime.logging import configure_logging
from taquilla_runtime.principal import use_secrets
from taquilla_runtime.telemetry import configure_tracing


def main() -> None:
    settings = EdgeSettings()
    configure_logging("edge", settings.log_level)
    configure_tracing("edge")
    # The process's, like logging (ADR 0021): the principals sent to the services are signed with the
    # platform's shared secret. An app built in a test signs with the development default.
    use_secrets([secret.get_secret_value() for secret in settings.principal_secrets])
    config = server_config(settings)
    # One app on two sockets: the public port, and the internal one (readiness in detail), which the
    # app tells apart by the socket a request came in on (EdgeSettings.on_internal_port).
    sockets = [config.bind_socket()]
    if settings.internal_port:
        sockets.append(_listen(settings.host, settings.internal_port))
    uvicorn.Server(config).run(sockets=sockets)


def server_config(settings: EdgeSettings) -> uvicorn.Config:
    """uvicorn's configuration of the edge (the public port)."""
    return uvicorn.Config(
        "edge.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        workers=1,
        access_log=False,
        log_config=None,
        # Who the client is behind a proxy is the edge's to decide, once, with EDGE_TRUSTED_PROXIES
        # (edge.security.client_address.ClientAddressMiddleware): uvicorn's own X-Forwarded-For
        # handling stays off, and its trusted set is the same one should it ever be turned on
        # (never "*", never uvicorn's FORWARDED_ALLOW_IPS variable).
        proxy_headers=False,
        forwarded_allow_ips=",".join(settings.trusted_proxies),
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        server_header=False,
    )


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


if __name__ == "__main__":
    main()
