"""`python -m notification_svc replay-dlq [--orders]`: sends dead-lettered messages back to their topic.

Without --orders it replays taquilla.events.v1's dead letters (the organizers' and operations'
e-mails); with it, taquilla.ticketing.v1's (the buyers' e-mails).

Each replayed message carries `x-taquilla-replay: 1`, which lets the consumer retry notifications
that had failed; notifications already sent stay sent (nothing is delivered twice). Poison messages
are left in the dead-letter topic unless --include-poison is given.
"""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer

from notification_svc.config import Settings
from notification_svc.entrypoints.consumer import REPLAY_HEADER
from taquilla_runtime.messaging.consumer import ERROR_HEADER
from taquilla_runtime.messaging.outbox import KafkaPublisher


async def replay_dead_letters(
    settings: Settings,
    *,
    idle_seconds: float = 3.0,
    include_poison: bool = False,
    limit: int | None = None,
    orders: bool = False,
) -> tuple[int, int]:
    """Replays until the dead-letter topic has been idle for `idle_seconds`; returns (replayed, kept)."""
    if orders:
        topic, dead_letter_topic, group = (
            settings.orders_topic,
            settings.orders_dead_letter_topic,
            settings.orders_consumer_group,
        )
    else:
        topic, dead_letter_topic, group = settings.topic, settings.dead_letter_topic, settings.consumer_group
    consumer = AIOKafkaConsumer(
        dead_letter_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        **settings.kafka_security.client_options(),
        group_id=f"{group}-dlq-replay",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    publisher = KafkaPublisher(
        settings.kafka_bootstrap_servers,
        client_id="notification-svc-replay",
        security=settings.kafka_security,
    )
    replayed = kept = 0
    await consumer.start()
    try:
        idle_since = time.monotonic()
        while time.monotonic() - idle_since < idle_seconds and (limit is None or replayed < limit):
            batches = await consumer.getmany(timeout_ms=500)
            if batches:
                idle_since = time.monotonic()
            for tp, records in batches.items():
                for record in records:
                    headers = list(record.headers or ())
                    error = dict(headers).get(ERROR_HEADER, b"").decode(errors="replace")
                    if error.startswith("poison") and not include_poison:
                        kept += 1
                    else:
                        kept_headers = [(k, v) for k, v in headers if not k.startswith("x-taquilla-")]
                        await publisher.publish(
                            topic,
                            record.key,
                            record.value or b"",
                            [*kept_headers, (REPLAY_HEADER, b"1")],
                        )
                        replayed += 1
                    await consumer.commit({tp: record.offset + 1})
                    print(f"replayed {replayed}, kept {kept}", flush=True)
    finally:
        await consumer.stop()
        await publisher.close()
    return replayed, kept


def main(settings: Settings, argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m notification_svc replay-dlq", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--include-poison", action="store_true", help="also replay messages that were never valid"
    )
    parser.add_argument(
        "--idle-seconds", type=float, default=3.0, help="stop after this long without messages"
    )
    parser.add_argument("--limit", type=int, default=None, help="replay at most this many")
    parser.add_argument(
        "--orders",
        action="store_true",
        help="the buyers' e-mails: replay taquilla.ticketing.v1's dead letters",
    )
    args = parser.parse_args(argv)
    replayed, kept = asyncio.run(
        replay_dead_letters(
            settings,
            idle_seconds=args.idle_seconds,
            include_poison=args.include_poison,
            limit=args.limit,
            orders=args.orders,
        )
    )
    topic = settings.orders_topic if args.orders else settings.topic
    print(f"done: {replayed} message(s) replayed to {topic}, {kept} poison message(s) kept")
