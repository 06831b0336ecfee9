"""Dependencies routes declare with `Annotated` aliases; built once in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis

from edge.clients.channels import ServiceChannels
from edge.clients.health import HealthClient
from edge.config import EdgeSettings


@dataclass
class EdgeState:
    settings: EdgeSettings
    channels: ServiceChannels
    redis: Redis
    health_clients: list[HealthClient]


def get_state(request: Request) -> EdgeState:
    state: EdgeState = request.app.state.edge
    return state


State = Annotated[EdgeState, Depends(get_state)]
