"""`python -m edge`: serves the gateway with uvicorn on uvloop."""

from __future__ import annotations

import uvicorn

from edge.config import EdgeSettings
from taquilla_runtime.logging import configure_logging
from taquilla_runtime.telemetry import configure_tracing


def main() -> None:
    settings = EdgeSettings()
    configure_logging("edge", settings.log_level)
    configure_tracing("edge")
    uvicorn.run(
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


if __name__ == "__main__":
    main()
