"""The signed-in user's own account."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from edge.api.deps import CurrentPrincipal, State
from edge.api.problems import UNAUTHENTICATED, problem
from edge.api.schemas.identity import PasswordChange, ProfileUpdate, UserPublic

router = APIRouter(tags=["users"])


@router.get(
    "/api/v1/users/me",
    response_model=UserPublic,
    summary="My account",
    responses=UNAUTHENTICATED,
)
async def me(principal: CurrentPrincipal, state: State) -> UserPublic:
    return UserPublic.from_pb(await state.identity.current_user(principal))


@router.patch(
    "/api/v1/users/me",
    response_model=UserPublic,
    summary="Change my profile",
    description="Only the fields sent change. A blank name is refused at `full_name`.",
    responses={**UNAUTHENTICATED, 422: problem("A field is invalid")},
)
async def update_me(body: ProfileUpdate, principal: CurrentPrincipal, state: State) -> UserPublic:
    return UserPublic.from_pb(await state.identity.update_my_profile(principal, full_name=body.full_name))


@router.post(
    "/api/v1/users/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Change my password",
    description="The current password must be right (a wrong one counts towards the sign-in lockout: "
    "`current_password` answers `incorrect`, or `locked` while locked) and the new one must pass the "
    "sign-up policy (`new_password`). Every other session (refresh token) of the account ends; the one "
    "whose `refresh_token` is sent stays signed in.",
    responses={**UNAUTHENTICATED, 422: problem("A password is wrong or too weak")},
)
async def change_my_password(body: PasswordChange, principal: CurrentPrincipal, state: State) -> Response:
    await state.identity.change_my_password(
        principal,
        current_password=body.current_password,
        new_password=body.new_password,
        refresh_token=body.refresh_token or "",
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
