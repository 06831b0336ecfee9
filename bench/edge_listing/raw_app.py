"""The baseline: a minimal FastAPI app answering GET /api/v1/events with fixed JSON bytes.

    python bench/edge_listing/raw_app.py PORT BODY_FILE

Served exactly as the edge is served (edge/__main__.py): uvicorn, uvloop, httptools, one worker,
no access log, proxy headers on, no server header.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Response


def create_app(body: bytes) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/events")
    async def list_events() -> Response:
        return Response(content=body, media_type="application/json")

    return app


def main() -> None:
    port, body_file = int(sys.argv[1]), Path(sys.argv[2])
    uvicorn.run(
        create_app(body_file.read_bytes()),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        workers=1,
        access_log=False,
        log_config=None,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        timeout_graceful_shutdown=10,
        server_header=False,
    )


if __name__ == "__main__":
    main()
