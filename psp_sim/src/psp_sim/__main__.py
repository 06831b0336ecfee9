"""``python -m psp_sim``: the payment simulator on PSP_SIM_HOST:PSP_SIM_PORT (default 127.0.0.1:12111)."""

from __future__ import annotations

import uvicorn

from psp_sim import logs
from psp_sim.app import create_app
from psp_sim.config import Settings


def main() -> None:
    settings = Settings()
    logs.configure(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
