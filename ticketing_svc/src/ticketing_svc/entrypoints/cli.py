"""`python -m ticketing_svc [serve|migrate]`."""

from __future__ import annotations

from pathlib import Path

from taquilla_runtime.cli import run_cli
from ticketing_svc.adapters.orm import outbox
from ticketing_svc.bootstrap import build_service
from ticketing_svc.config import SCHEMA, Settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def main() -> None:
    run_cli(
        service="ticketing_svc",
        settings_factory=Settings,
        schema=SCHEMA,
        migrations_dir=MIGRATIONS,
        build=build_service,
        outbox=outbox,
    )
