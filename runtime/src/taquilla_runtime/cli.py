"""The command line every service has: `python -m <service> [serve|migrate|seed]`, and for services
with an outbox `outbox parked` and `outbox release ID... | --all` (parked messages, see
taquilla_runtime.messaging.outbox)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import Table

from taquilla_runtime import migrations
from taquilla_runtime.db import create_engine
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
    outbox: Table | None = None,
) -> None:
    """Runs the command named on the command line; `commands` adds service-specific ones, and
    `outbox` (the service's outbox table) the `outbox` command."""
    extra = dict(commands or {})
    if outbox is not None:
        extra["outbox"] = lambda settings, argv: asyncio.run(
            _outbox_command(service, settings.database_url, schema, outbox, argv)
        )
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


async def _outbox_command(
    service: str, database_url: str, schema: str, table: Table, argv: list[str]
) -> None:
    """`outbox parked` lists parked messages; `outbox release ID... | --all` puts them back in line."""
    from taquilla_runtime.messaging.outbox import parked_messages, release_parked

    parser = argparse.ArgumentParser(prog=f"python -m {service} outbox")
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("parked", help="list the messages parked after repeated refusals by the broker")
    release = actions.add_parser("release", help="put parked messages back in line (after fixing the cause)")
    release.add_argument("ids", nargs="*", type=int, help="outbox row ids, from `outbox parked`")
    release.add_argument("--all", action="store_true", help="every parked message")
    args = parser.parse_args(argv)
    if args.action == "release" and bool(args.ids) == args.all:
        release.error("name the ids to release, or --all (not both)")
    engine = create_engine(database_url, schema=schema, application_name=f"{service}-outbox-cli", pool_size=1)
    try:
        if args.action == "parked":
            rows = await parked_messages(engine, table)
            for row in rows:
                print(
                    f"{row['id']}\t{row['parked_at'].isoformat()}\t{row['topic']}\t{row['type']}"
                    f"\t{row['message_id']}\trefused {row['rejections']} times: {row['last_error']}"
                )
            print(f"{len(rows)} parked message(s)", file=sys.stderr)
        else:
            released = await release_parked(engine, table, None if args.all else args.ids)
            print(f"released {released} message(s); the relay publishes them next", file=sys.stderr)
    finally:
        await engine.dispose()
