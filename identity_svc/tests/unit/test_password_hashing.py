"""The real argon2id hasher: it runs beside the event loop, not on it, and sheds load rather than
queueing without bound."""

import asyncio
import time

import pytest
from prometheus_client import REGISTRY

from identity_svc.adapters.crypto import Argon2Hasher
from identity_svc.domain.errors import Overloaded

pytestmark = pytest.mark.asyncio(loop_scope="session")


def shed_so_far() -> float:
    return REGISTRY.get_sample_value("taquilla_identity_svc_password_hashes_shed_total") or 0.0


async def test_hashing_leaves_the_event_loop_free() -> None:
    hasher = Argon2Hasher(time_cost=8, max_concurrent=1)
    hashed = await hasher.hash("Cielo-Naranja-Viento-9")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    running = asyncio.create_task(ticker())
    started = time.perf_counter()
    assert await hasher.verify(hashed, "Cielo-Naranja-Viento-9")
    assert not await hasher.verify(hashed, "otra-clave")
    running.cancel()
    # The loop kept turning while both checks ran in a worker thread.
    assert ticks > 10, (ticks, time.perf_counter() - started)


async def test_a_burst_beyond_the_slots_is_shed_not_queued_for_ever() -> None:
    hasher = Argon2Hasher(time_cost=8, max_concurrent=1, queue_seconds=0.001)
    before = shed_so_far()
    results = await asyncio.gather(
        *(hasher.verify_nothing("Cielo-Naranja-Viento-9") for _ in range(4)), return_exceptions=True
    )
    shed = [r for r in results if isinstance(r, Overloaded)]
    assert shed, results
    assert len(shed) < len(results)  # the first one ran
    assert shed_so_far() == before + len(shed)
