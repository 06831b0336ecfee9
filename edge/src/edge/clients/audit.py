"""Typed client of taquilla.audit.v1.AuditService on every service, read as one trail.

Each service keeps its own log; :meth:`AuditClient.page` asks all of them at once for a page after
their own position and merges the answers newest first (occurred_at, then service, then id). The
cursor it hands out holds each service's position (the cursor of the last entry taken from it, or
nothing once that service has no more), so the next page continues every log where this one stopped:
nothing is skipped or repeated, however the services' entries interleave.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc

from taquilla.audit.v1 import audit_service_pb2 as pb
from taquilla.audit.v1 import audit_service_pb2_grpc
from taquilla_runtime.cursors import InvalidCursor, decode_cursor, encode_cursor
from taquilla_runtime.principal import Principal
from taquilla_runtime.timestamps import from_timestamp


@dataclass(frozen=True, slots=True)
class AuditFilters:
    action_prefix: str = ""
    actor: str = ""
    target: str = ""
    organization_id: str = ""
    outcome: str = ""
    occurred_from: dt.datetime | None = None
    occurred_until: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    service: str
    entry: pb.AuditEntry

    @property
    def occurred_at(self) -> dt.datetime:
        return from_timestamp(self.entry.occurred_at)


@dataclass(frozen=True, slots=True)
class MergedPage:
    entries: list[ServiceEntry]
    next_cursor: str | None


# Per service: "" to start from the newest, a service's page token to continue, None when done.
Positions = dict[str, str | None]


def decode_positions(cursor: str, services: Sequence[str]) -> Positions:
    """The positions a cursor holds; InvalidCursor for anything :func:`encode_positions` did not make."""
    if not cursor:
        return dict.fromkeys(services, "")
    value = decode_cursor(cursor)
    if not (
        isinstance(value, list)
        and len(value) == len(services)
        and all(item is None or isinstance(item, str) for item in value)
    ):
        raise InvalidCursor("not a cursor of this listing")
    return dict(zip(services, value, strict=True))


def encode_positions(positions: Positions, services: Sequence[str]) -> str | None:
    if all(positions[name] is None for name in services):
        return None
    return encode_cursor([positions[name] for name in services])


def merge(
    replies: Mapping[str, pb.ListAuditEntriesResponse], positions: Positions, limit: int
) -> tuple[list[ServiceEntry], Positions]:
    """The newest ``limit`` entries of the services' pages, and where each service stands after them."""
    candidates = [ServiceEntry(name, entry) for name, reply in replies.items() for entry in reply.entries]
    # Newest first; equal times in a fixed order that keeps each service's own order (its ids descending).
    candidates.sort(key=lambda e: (e.service, -e.entry.id))
    candidates.sort(key=lambda e: e.occurred_at, reverse=True)
    taken = candidates[:limit]
    after = dict(positions)
    for name, reply in replies.items():
        mine = [e for e in taken if e.service == name]
        if len(mine) == len(reply.entries) and not reply.next_page_token:
            after[name] = None  # everything this service has left was taken
        elif mine:
            after[name] = mine[-1].entry.cursor
    return taken, after


class AuditClient:
    def __init__(self, channels: Mapping[str, grpc.aio.Channel], deadline: float) -> None:
        self._stubs = {name: audit_service_pb2_grpc.AuditServiceStub(ch) for name, ch in channels.items()}
        self._deadline = deadline

    @property
    def services(self) -> list[str]:
        return sorted(self._stubs)

    async def page(
        self, principal: Principal, *, limit: int, cursor: str, filters: AuditFilters
    ) -> MergedPage:
        """One page of the merged trail. InvalidCursor for a cursor this method did not make."""
        services = self.services
        positions = decode_positions(cursor, services)
        active = [name for name in services if positions[name] is not None]
        requests = [self._request(limit, positions[name] or "", filters) for name in active]
        replies = await asyncio.gather(
            *(
                self._stubs[name].ListAuditEntries(
                    request, metadata=(principal.to_metadata(),), timeout=self._deadline
                )
                for name, request in zip(active, requests, strict=True)
            )
        )
        taken, after = merge(dict(zip(active, replies, strict=True)), positions, limit)
        return MergedPage(taken, encode_positions(after, services))

    @staticmethod
    def _request(limit: int, token: str, filters: AuditFilters) -> pb.ListAuditEntriesRequest:
        fields: dict[str, Any] = {
            "page_size": limit,
            "page_token": token,
            "action_prefix": filters.action_prefix,
            "actor": filters.actor,
            "target": filters.target,
            "organization_id": filters.organization_id,
            "outcome": filters.outcome,
        }
        request = pb.ListAuditEntriesRequest(**fields)
        if filters.occurred_from is not None:
            request.occurred_from.FromDatetime(filters.occurred_from.astimezone(dt.UTC))
        if filters.occurred_until is not None:
            request.occurred_until.FromDatetime(filters.occurred_until.astimezone(dt.UTC))
        return request
