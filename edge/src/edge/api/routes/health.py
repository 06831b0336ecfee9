"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from edge.api.deps import State
from edge.clients.health import DependencyState

router = APIRouter(tags=["operations"])


class Liveness(BaseModel):
    status: Literal["alive"] = "alive"


class DependencyCheck(BaseModel):
    name: str = Field(examples=["event_svc"])
    status: Literal["up", "down"]
    detail: str | None = Field(default=None, examples=["unreachable"])


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: list[DependencyCheck] | None = Field(
        default=None, description="On the internal port only: each dependency with its state."
    )


@router.get("/healthz", summary="Liveness: the edge process answers", response_model=Liveness)
async def healthz() -> Liveness:
    return Liveness()


async def _redis_state(state: State) -> DependencyState:
    try:
        await asyncio.wait_for(state.redis.ping(), timeout=state.settings.readiness_timeout_seconds)
    except TimeoutError:
        return DependencyState("redis", up=False, detail="timeout")
    except Exception:  # any Redis failure means "down"; its text may name internal hosts
        return DependencyState("redis", up=False, detail="unreachable")
    return DependencyState("redis", up=True)


@router.get(
    "/readyz",
    summary="Readiness: ready or not; on the internal port, every dependency with its state",
    description="On the public port only `status` (rate-limited like any anonymous call); on the edge's "
    "internal port (`EDGE_INTERNAL_PORT`, never published) also `checks`, each dependency with its state.",
    response_model=Readiness,
    response_model_exclude_none=True,
    responses={503: {"model": Readiness, "description": "At least one dependency is down"}},
)
async def readyz(request: Request, state: State, response: Response) -> Readiness:
    results = await asyncio.gather(*(client.check() for client in state.health_clients), _redis_state(state))
    ready = all(r.up for r in results)
    if not ready:
        response.status_code = 503
    status: Literal["ready", "not_ready"] = "ready" if ready else "not_ready"
    if not state.settings.on_internal_port(request.scope.get("server")):
        # Which dependency is down, and why, is for operators: the public learns only ready or not.
        return Readiness(status=status)
    checks = [DependencyCheck(name=r.name, status="up" if r.up else "down", detail=r.detail) for r in results]
    return Readiness(status=status, checks=checks)


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
