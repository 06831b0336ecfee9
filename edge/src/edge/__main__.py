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
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        server_header=False,
    )


if __name__ == "__main__":
    main()
