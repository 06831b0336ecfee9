"""The command line every service has: `python -m <service> [serve|migrate|seed]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from taquilla_runtime import migrations
from taquilla_runtime.logging import configure_logging
from taquilla_runtime.service import ServiceProcess
from taquilla_runtime.settings import ServiceSettings
from taquilla_runtime.telemetry import configure_tracing

S = TypeVar("S", bound=ServiceSettings)
log = logging.getLogger(__name__)


def _load_settings(service: str, factory: Callable[[], S]) -> S:
    try:
        return factory()
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in error["loc"]) or "settings" for error in exc.errors())
        prefix = service.upper() + "_"
        sys.stderr.write(
            f"{service}: invalid or missing configuration ({fields}). "
            f"Set the {prefix}* environment variables described in the README.\n"
        )
        raise SystemExit(2) from None


def run_cli(
    *,
    service: str,
    settings_factory: Callable[[], S],
    schema: str,
    migrations_dir: Path,
    build: Callable[[S], ServiceProcess],
    seed: Callable[[S], Coroutine[Any, Any, None]] | None = None,
    commands: dict[str, Callable[[S, list[str]], None]] | None = None,
) -> None:
    """Runs the command named on the command line; `commands` adds service-specific ones."""
    extra = commands or {}
    parser = argparse.ArgumentParser(prog=f"python -m {service}")
    names = ["serve", "migrate", *(["seed"] if seed else []), *extra]
    parser.add_argument("command", nargs="?", default="serve", choices=names)
    args, rest = parser.parse_known_args()
    if rest and args.command not in extra:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    settings = _load_settings(service, settings_factory)
    configure_logging(service, settings.log_level)
    if args.command in extra:
        extra[args.command](settings, rest)
    elif args.command == "migrate":
        _migrate(migrations_dir, settings.database_url, schema)
        log.info("migrations applied", extra={"schema": schema})
    elif args.command == "seed" and seed is not None:
        asyncio.run(seed(settings))
    else:
        configure_tracing(service)
        _serve(build(settings))


def _migrate(script_location: Path, database_url: str, schema: str) -> None:
    migrations.upgrade(script_location, database_url, schema)


def _serve(process: ServiceProcess) -> None:
    asyncio.run(process.run())
