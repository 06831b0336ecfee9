"""`python -m identity_svc [serve|migrate|seed]`."""

from __future__ import annotations

from pathlib import Path

from identity_svc.adapters.orm import outbox
from identity_svc.bootstrap import build_service
from identity_svc.config import SCHEMA, Settings
from taquilla_runtime.cli import run_cli

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def main() -> None:
    from identity_svc.seed import seed  # imported late: only the seed command needs it

    run_cli(
        service="identity_svc",
        settings_factory=Settings,
        schema=SCHEMA,
        migrations_dir=MIGRATIONS,
        build=build_service,
        outbox=outbox,
        seed=seed,
    )
