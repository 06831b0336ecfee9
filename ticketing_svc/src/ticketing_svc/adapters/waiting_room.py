"""The waiting rooms' lines in Redis: one sorted set per event, ranked by a drawn or arrival score.

Joining is one Lua script, so two calls of one account never make two entries. Early arrivals
(before the on-sale) get a random score in [0, 1): their order is drawn as they come and nobody
learns it before the on-sale; later arrivals get 1 + an arrival counter, so they queue behind, first
come, first served. Keys expire two days after the last join.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from ticketing_svc.application.ports import WaitingRoom
from ticketing_svc.domain.errors import WaitingRoomUnavailable
from ticketing_svc.domain.waiting_room import QueueEntry

PREFIX = "taquilla:wr"
KEY_TTL_SECONDS = 2 * 24 * 3600

_JOIN = """
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then return existing end
local score
if ARGV[4] == '1' then score = ARGV[5] else score = 1 + redis.call('INCR', KEYS[3]) end
redis.call('ZADD', KEYS[1], score, ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[4], 'event', ARGV[6], 'customer', ARGV[1], 'joined_at', ARGV[3])
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[7]) end
return ARGV[2]
"""


def _line(event_id: uuid.UUID) -> str:
    return f"{PREFIX}:{{{event_id}}}:line"


def _entry_key(queue_id: uuid.UUID | str) -> str:
    return f"{PREFIX}:entry:{queue_id}"


class RedisWaitingRoom(WaitingRoom):
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._join: Any = redis.register_script(_JOIN)

    async def join(
        self, event_id: uuid.UUID, customer_id: uuid.UUID, *, now: dt.datetime, early: bool
    ) -> QueueEntry:
        new_id = uuid.uuid4()
        drawn = secrets.randbelow(2**52) / 2**52
        keys = [
            _line(event_id),
            f"{PREFIX}:{{{event_id}}}:who",
            f"{PREFIX}:{{{event_id}}}:seq",
            _entry_key(new_id),
        ]
        args = [
            str(customer_id),
            str(new_id),
            now.isoformat(),
            "1" if early else "0",
            repr(drawn),
            str(event_id),
        ]
        try:
            raw = await self._join(keys=keys, args=[*args, KEY_TTL_SECONDS])
        except (RedisError, OSError) as exc:
            raise WaitingRoomUnavailable(
                "The waiting room cannot be reached; try again in a moment."
            ) from exc
        queue_id = uuid.UUID(raw.decode() if isinstance(raw, bytes) else str(raw))
        found = await self.entry(queue_id)
        assert found is not None, "the entry was just written"
        return found

    async def entry(self, queue_id: uuid.UUID) -> QueueEntry | None:
        try:
            # The client has no decode_responses, so replies are bytes (redis-py types them bytes | str).
            fields = cast("dict[bytes, bytes]", await self._redis.hgetall(_entry_key(queue_id)))
            if not fields:
                return None
            values = {k.decode(): v.decode() for k, v in fields.items()}
            event_id = uuid.UUID(values["event"])
            rank = cast("int | None", await self._redis.zrank(_line(event_id), str(queue_id)))  # no WITHSCORE
        except (RedisError, OSError) as exc:
            raise WaitingRoomUnavailable(
                "The waiting room cannot be reached; try again in a moment."
            ) from exc
        return QueueEntry(
            id=queue_id,
            event_id=event_id,
            customer_id=uuid.UUID(values["customer"]),
            joined_at=dt.datetime.fromisoformat(values["joined_at"]),
            rank=int(rank) if rank is not None else None,
        )
