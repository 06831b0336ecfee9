"""The signed-in user's own account."""

from __future__ import annotations

from fastapi import APIRouter

from edge.api.deps import CurrentPrincipal, State
from edge.api.problems import UNAUTHENTICATED
from edge.api.schemas.identity import UserPublic

router = APIRouter(tags=["users"])


@router.get(
    "/api/v1/users/me",
    response_model=UserPublic,
    summary="My account",
    responses=UNAUTHENTICATED,
)
async def me(principal: CurrentPrincipal, state: State) -> UserPublic:
    return UserPublic.from_pb(await state.identity.current_user(principal))
