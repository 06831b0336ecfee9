"""The simulator under test is the real process (devstack's ``psp_simulator``), driven through the
official ``stripe`` SDK the way ticketing_svc drives Stripe; helpers live in psp_sim_receiver.py
(a webhook endpoint) and psp_sim_requests.py (request parameters)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
import stripe
from psp_sim_receiver import Receiver, serve_receiver

from devstack.infra import PaymentSimulator


@pytest.fixture
def simulator(psp_simulator: PaymentSimulator) -> Iterator[PaymentSimulator]:
    """The shared simulator, emptied and with its switches back to normal for each test."""
    psp_simulator.reset()
    yield psp_simulator
    psp_simulator.reset()


@pytest.fixture
def client(simulator: PaymentSimulator) -> stripe.StripeClient:
    return stripe.StripeClient(
        simulator.secret_key,
        base_addresses={"api": simulator.url},
        http_client=stripe.HTTPXClient(),
        max_network_retries=0,
    )


@pytest_asyncio.fixture(scope="session")
async def receiver_server() -> AsyncIterator[Receiver]:
    async with serve_receiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(receiver_server: Receiver, simulator: PaymentSimulator) -> Receiver:
    """A webhook endpoint the simulator delivers to, with nothing received yet."""
    receiver_server.clear()
    simulator.set_webhooks(url=receiver_server.url)
    return receiver_server
