"""ticketing_svc's CPU per online check-in, in-process: no edge, no gRPC, a real PostgreSQL.

Starts a throwaway PostgreSQL cluster (devstack), migrates ticketing's schema, stores one event in
the catalog copy and inserts N signed tickets of its session straight into the tickets table (the
throwaway database drops the tickets -> orders foreign key: the scans never read orders). Then
check_in (the use case the gRPC CheckIn calls) scans each ticket once, one after the other, with a
fresh nonce; time.process_time around the scans gives this process's CPU per scan (PostgreSQL's own
CPU is not in it). A warm-up of W scans first. Prints the CPU and wall time per scan.

    uv run --frozen python bench/checkin/inprocess.py [N] [W]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "ticketing_svc" / "tests"))

from ticketing_factories import make_event

from devstack.infra import Postgres
from devstack.processes import free_port
from devstack.pytest_plugin import PostgresServer
from taquilla_runtime import migrations
from taquilla_runtime.db import create_engine
from ticketing_svc.adapters.orm import tickets
from ticketing_svc.adapters.ticket_signing import TicketKeyRing
from ticketing_svc.adapters.tickets import KeyRingSigner
from ticketing_svc.bootstrap import UseCases
from ticketing_svc.config import SCHEMA
from ticketing_svc.domain import commands
from ticketing_svc.domain.checkins import ScanType
from ticketing_svc.domain.commands import Actor, ActorKind
from ticketing_svc.domain.orders import TicketClaims
from ticketing_svc.entrypoints.cli import MIGRATIONS


async def measure(url: str, count: int, warmup: int) -> None:
    engine = create_engine(url, schema=SCHEMA, application_name="checkin-inprocess", pool_size=4)
    signer = KeyRingSigner(TicketKeyRing.generate("b1"))
    use_cases = UseCases(engine, catalog=None, signer=signer)
    event = make_event(capacity=count + warmup + 10)
    session, zone = event.sessions[0], event.zones[0]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    uow = use_cases.uow()
    async with uow:
        await uow.catalog.store(event)
        await uow.commit()
    secrets = []
    rows = []
    for position in range(count + warmup):
        ticket_id = uuid.uuid4()
        window = (now - dt.timedelta(hours=1), now + dt.timedelta(days=1))
        claims = TicketClaims(ticket_id, session.id, zone.id, *window)
        secret = signer.sign(claims)
        secrets.append(secret)
        rows.append(
            {
                "id": ticket_id,
                "order_id": uuid.uuid4(),
                "position": position,
                "customer_id": uuid.uuid4(),
                "event_id": event.id,
                "event_name": event.name,
                "session_id": session.id,
                "zone_id": zone.id,
                "zone_name": zone.name,
                "holder_name": f"Holder {position}",
                "price_amount": Decimal("10.00"),
                "currency": "EUR",
                "status": "valid",
                "issued_at": now,
                "secret": secret,
            }
        )
    async with engine.begin() as connection:
        await connection.execute(text("ALTER TABLE tickets DROP CONSTRAINT IF EXISTS tickets_order_id_fkey"))
        await connection.execute(tickets.insert(), rows)
    staff = Actor(uuid.uuid4(), ActorKind.USER, role="staff", organization_id=event.organization_id)

    async def scan(secret: str) -> str:
        outcome = await use_cases.check_in(
            commands.CheckIn(
                actor=staff,
                secret=secret,
                session_id=session.id,
                device_id="door-1",
                nonce=uuid.uuid4().hex,
                type=ScanType.ENTRY,
            )
        )
        return outcome.answer.result.value

    for secret in secrets[:warmup]:
        assert await scan(secret) == "ok"
    cpu, wall = time.process_time(), time.perf_counter()
    results = [await scan(secret) for secret in secrets[warmup:]]
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert results == ["ok"] * count, set(results)
    again = await scan(secrets[-1])
    assert again == "already_redeemed", again
    print(
        f"{count} scans after {warmup} warm-up: CPU {cpu / count * 1e6:,.0f} µs per scan, "
        f"wall {wall / count * 1e3:.2f} ms per scan"
    )
    await engine.dispose()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    warmup = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    with tempfile.TemporaryDirectory() as directory:
        cluster = Postgres(Path(directory) / "data", free_port(), durable=False)
        cluster.start()
        try:
            url = PostgresServer(cluster).url("ticketing_svc")
            migrations.upgrade(MIGRATIONS, url, SCHEMA)
            asyncio.run(measure(url, count, warmup))
        finally:
            cluster.destroy()


if __name__ == "__main__":
    main()
