"""`python -m event_svc [serve|migrate|seed]`."""

from __future__ import annotations

from pathlib import Path

from event_svc.adapters.orm import outbox
from event_svc.bootstrap import build_service
from event_svc.config import SCHEMA, Settings
from event_svc.seed import seed
from taquilla_runtime.cli import run_cli

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def main() -> None:
    run_cli(
        service="event_svc",
        settings_factory=Settings,
        schema=SCHEMA,
        migrations_dir=MIGRATIONS,
        build=build_service,
        outbox=outbox,
        seed=seed,
    )
