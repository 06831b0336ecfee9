"""`python -m notification_svc [serve|migrate|replay-dlq]`."""

from __future__ import annotations

from pathlib import Path

from notification_svc.bootstrap import build_service
from notification_svc.config import SCHEMA, Settings
from notification_svc.replay import main as replay_main
from taquilla_runtime.cli import run_cli

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def main() -> None:
    run_cli(
        service="notification_svc",
        settings_factory=Settings,
        schema=SCHEMA,
        migrations_dir=MIGRATIONS,
        build=build_service,
        commands={"replay-dlq": replay_main},
    )
