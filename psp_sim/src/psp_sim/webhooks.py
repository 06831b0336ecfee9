"""Webhook deliveries the way Stripe makes them, with switches that make them misbehave on purpose.

Each event is POSTed as JSON with ``Stripe-Signature: t=<unix>,v1=<HMAC-SHA256 of "{t}.{body}">``,
signed afresh on every attempt. Delivery is at least once: a task per event retries with capped
exponential backoff and jitter until the endpoint answers 2xx or the attempts run out; the API call
that raised the event never waits for it.

The switches (``POST /_sim/webhooks``) imitate what a real network and Stripe do to a receiver:
duplicates, events out of order, late events and lost events.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from psp_sim.account import Event

log = logging.getLogger("psp_sim.webhooks")

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def signature_header(body: str, secret: str, timestamp: int) -> str:
    """Stripe's ``Stripe-Signature`` header for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass
class Switches:
    url: str | None
    secret: str
    duplicate: int = 0
    reorder: bool = False
    delay_seconds: float = 0.0
    drop: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Attempt:
    number: int
    at: float
    url: str
    status_code: int | None = None
    error: str | None = None


@dataclass
class Delivery:
    """One copy of one event on its way to the endpoint (a duplicate is another copy)."""

    copy: int
    state: str  # scheduled | held | delivered | dropped | failed | not_sent | canceled
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return self.state in {"scheduled", "held"}

    def to_json(self) -> dict[str, Any]:
        return {"copy": self.copy, "state": self.state, "attempts": [asdict(a) for a in self.attempts]}


@dataclass
class Outbox:
    """Every event's deliveries, and the tasks that make them."""

    default_url: str | None
    default_secret: str
    retry_base_seconds: float
    retry_max_seconds: float
    max_attempts: int
    timeout_seconds: float
    clock: Callable[[], float] = time.time
    switches: Switches = field(init=False)
    deliveries: dict[str, list[Delivery]] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    _held: list[tuple[Event, Delivery]] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _client: httpx.AsyncClient | None = None

    def __post_init__(self) -> None:
        self.switches = Switches(self.default_url, self.default_secret)

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.timeout_seconds, headers={"User-Agent": USER_AGENT})

    async def stop(self) -> None:
        await self._cancel_all()
        if self._client is not None:
            await self._client.aclose()

    async def reset(self) -> None:
        await self._cancel_all()
        self.switches = Switches(self.default_url, self.default_secret)
        self.deliveries.clear()
        self.events.clear()
        self._held.clear()

    async def _cancel_all(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ----------------------------------------------------------------------------------------- switches
    def configure(self, changes: dict[str, Any]) -> Switches:
        """Applies the given switches; turning ``reorder`` off delivers what it held."""
        s = self.switches
        if "url" in changes:
            s.url = changes["url"] or None
        if "secret" in changes:
            s.secret = changes["secret"] or self.default_secret
        for name in ("duplicate", "drop"):
            if name in changes:
                setattr(s, name, int(changes[name]))
        if "delay_seconds" in changes:
            s.delay_seconds = float(changes["delay_seconds"])
        if "reorder" in changes:
            s.reorder = bool(changes["reorder"])
            if not s.reorder:
                self.flush()
        return s

    def flush(self) -> int:
        """Delivers the held events, newest first; returns how many."""
        held, self._held = self._held, []
        for event, delivery in reversed(held):
            delivery.state = "scheduled"
            self._spawn(event, delivery, self.switches.delay_seconds)
        return len(held)

    # ------------------------------------------------------------------------------------------ sending
    def publish(self, event: Event) -> None:
        """Called as the event is raised: records its deliveries and starts them in the background."""
        self.events[event.id] = event
        copies = self.deliveries.setdefault(event.id, [])
        s = self.switches
        for _ in range(1 + s.duplicate):
            delivery = Delivery(copy=len(copies), state="scheduled")
            copies.append(delivery)
            if s.url is None:
                delivery.state = "not_sent"
            elif s.drop > 0:
                s.drop -= 1
                delivery.state = "dropped"
                log.info("webhook dropped on purpose", extra={"event_id": event.id, "event_type": event.type})
            elif s.reorder:
                delivery.state = "held"
                self._held.append((event, delivery))
            else:
                self._spawn(event, delivery, s.delay_seconds)

    def resend(self, event: Event) -> Delivery:
        """One more copy of ``event``, now, whatever the switches say (but to their URL and secret)."""
        self.events.setdefault(event.id, event)
        copies = self.deliveries.setdefault(event.id, [])
        delivery = Delivery(copy=len(copies), state="scheduled")
        copies.append(delivery)
        if self.switches.url is None:
            delivery.state = "not_sent"
        else:
            self._spawn(event, delivery, 0.0)
        return delivery

    def pending_count(self, event_id: str) -> int:
        return sum(1 for d in self.deliveries.get(event_id, []) if d.pending)

    def _spawn(self, event: Event, delivery: Delivery, delay: float) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(event, delivery, delay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: Event, delivery: Delivery, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            for number in range(1, self.max_attempts + 1):
                if await self._attempt(event, delivery, number):
                    delivery.state = "delivered"
                    return
                if number < self.max_attempts:
                    await asyncio.sleep(self._backoff(number))
            delivery.state = "failed"
            log.warning(
                "webhook given up",
                extra={"event_id": event.id, "event_type": event.type, "attempts": self.max_attempts},
            )
        except asyncio.CancelledError:
            delivery.state = "canceled"
            raise

    def _backoff(self, attempt: int) -> float:
        ceiling: float = min(self.retry_max_seconds, self.retry_base_seconds * 2.0 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not security)

    async def _attempt(self, event: Event, delivery: Delivery, number: int) -> bool:
        url, secret = self.switches.url, self.switches.secret
        if url is None:
            delivery.state = "not_sent"
            return True
        assert self._client is not None, "Outbox.start() was not awaited"
        body = json.dumps(event.to_json(pending_webhooks=max(1, self.pending_count(event.id))), indent=2)
        attempt = Attempt(number=number, at=self.clock(), url=url)
        delivery.attempts.append(attempt)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signature_header(body, secret, int(self.clock())),
        }
        try:
            reply = await self._client.post(url, content=body.encode(), headers=headers)
            attempt.status_code = reply.status_code
        except httpx.HTTPError as exc:
            attempt.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        ok = attempt.status_code is not None and 200 <= attempt.status_code < 300
        log.info(
            "webhook attempt",
            extra={
                "event_id": event.id,
                "event_type": event.type,
                "attempt": number,
                "status_code": attempt.status_code,
                "error": attempt.error,
            },
        )
        return ok

    def report(self) -> list[dict[str, Any]]:
        """Every event, oldest first, with its deliveries and their attempts."""
        return [
            {
                "id": event.id,
                "type": event.type,
                "created": event.created,
                "event": event.to_json(pending_webhooks=self.pending_count(event.id)),
                "deliveries": [d.to_json() for d in self.deliveries.get(event.id, [])],
            }
            for event in self.events.values()
        ]
