"""The signed-in user's own account."""

from __future__ import annotations

from fastapi import APIRouter

from edge.api.deps import CurrentPrincipal, State
from edge.api.schemas.identity import UserPublic

router = APIRouter(tags=["users"])


@router.get(
    "/api/v1/users/me",
    response_model=UserPublic,
    summary="My account",
    responses={401: {"description": "No valid access token"}},
)
async def me(principal: CurrentPrincipal, state: State) -> UserPublic:
    return UserPublic.from_pb(await state.identity.current_user(principal))
