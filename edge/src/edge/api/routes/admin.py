"""Administration: users, organizations, API clients and signing keys (the audit trail: routes/audit.py).

Authorization is enforced by identity_svc from the caller's verified identity; non-admins get 403.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from edge.api.deps import Administrator, State
from edge.api.problems import NOT_AN_ADMINISTRATOR, UNAUTHENTICATED, problem
from edge.api.schemas.identity import (
    ApiClientCreate,
    ApiClientCreated,
    OrganizationCreate,
    OrganizationList,
    OrganizationPublic,
    RoleName,
    SigningKeyRotated,
    UserPage,
    UserPublic,
    UserUpdate,
)

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin"],
    responses={**UNAUTHENTICATED, **NOT_AN_ADMINISTRATOR},
)

Cursor = Annotated[str, Query(max_length=512, description="`next_cursor` of the previous page")]


@router.get("/users", response_model=UserPage, summary="List users (keyset pagination)")
async def list_users(
    principal: Administrator,
    state: State,
    role: RoleName | None = None,
    email: Annotated[str, Query(max_length=254, description="Part of the email, case-insensitive")] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = "",
) -> UserPage:
    reply = await state.identity.list_users(principal, role=role, email=email, limit=limit, cursor=cursor)
    return UserPage(
        items=[UserPublic.from_pb(u) for u in reply.users], next_cursor=reply.next_page_token or None
    )


@router.patch(
    "/users/{user_id}",
    response_model=UserPublic,
    summary="Change a user's role, active flag or organization",
    responses={
        404: problem("No such user"),
        409: problem(
            "`cannot-change-own-account`: administrators cannot demote or deactivate their own account"
        ),
        422: problem("Invalid or unknown fields"),
    },
)
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, principal: Administrator, state: State
) -> UserPublic:
    user = await state.identity.update_user(
        principal,
        str(user_id),
        role=body.role,
        active=body.active,
        set_organization="organization_id" in body.model_fields_set,
        organization_id=str(body.organization_id) if body.organization_id else None,
    )
    return UserPublic.from_pb(user)


@router.post(
    "/organizations",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganizationPublic,
    summary="Create an organization",
    responses={409: problem("Name already used")},
)
async def create_organization(
    body: OrganizationCreate, principal: Administrator, state: State, response: Response
) -> OrganizationPublic:
    organization = await state.identity.create_organization(principal, body.name)
    response.headers["Location"] = f"/api/v1/admin/organizations/{organization.id}"
    return OrganizationPublic(
        id=uuid.UUID(organization.id),
        name=organization.name,
        created_at=organization.created_at.ToDatetime(tzinfo=dt.UTC),
    )


@router.get(
    "/organizations",
    response_model=OrganizationList,
    summary="Search organizations by name (to choose one by its name)",
)
async def list_organizations(
    principal: Administrator,
    state: State,
    name: Annotated[str, Query(max_length=200, description="Part of the name, case-insensitive")] = "",
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> OrganizationList:
    found = await state.identity.list_organizations(principal, name=name, limit=limit)
    return OrganizationList(
        items=[
            OrganizationPublic(
                id=uuid.UUID(o.id), name=o.name, created_at=o.created_at.ToDatetime(tzinfo=dt.UTC)
            )
            for o in found
        ]
    )


@router.post(
    "/api-clients",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiClientCreated,
    summary="Create a partner API client",
    description="The secret is returned once; only its hash is kept.",
)
async def create_api_client(
    body: ApiClientCreate, principal: Administrator, state: State, response: Response
) -> ApiClientCreated:
    created = await state.identity.create_api_client(
        principal,
        name=body.name,
        scopes=list(body.scopes),
        tier=body.rate_limit_tier,
        organization_id=str(body.organization_id) if body.organization_id else None,
    )
    response.headers["Cache-Control"] = "no-store"
    return ApiClientCreated(
        client_id=created.client_id,
        client_secret=created.client_secret,
        scopes=list(created.scopes),
        rate_limit_tier=created.rate_limit_tier,
    )


@router.post(
    "/signing-keys/rotate",
    response_model=SigningKeyRotated,
    summary="Rotate the token signing key",
    description="New tokens are signed with a new key; tokens signed with the previous key stay valid.",
)
async def rotate_signing_key(principal: Administrator, state: State) -> SigningKeyRotated:
    return SigningKeyRotated(kid=await state.identity.rotate_signing_key(principal))
