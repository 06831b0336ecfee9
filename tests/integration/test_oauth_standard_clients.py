"""Standard OAuth 2.0 libraries work against the platform: Authlib's client with client credentials
and with the authorization code flow and PKCE, and PyJWT's JWKS client verifying the tokens."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client

from identity_svc.domain.model import pkce_challenge
from tests.conftest import Platform, bearer, login_as, new_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
WEB_CLIENT = "taquilla-web"
# The web app's sign-in page on a development server (a loopback redirect URI matches on any port).
REDIRECT_URI = "http://127.0.0.1:5173/login"
CSRF = {"X-Taquilla-CSRF": "1"}


async def server_metadata(edge: httpx.AsyncClient) -> dict[str, Any]:
    reply = await edge.get("/.well-known/oauth-authorization-server")
    assert reply.status_code == 200
    document: dict[str, Any] = reply.json()
    return document


def verified_claims(platform: Platform, token: str) -> dict[str, Any]:
    """What a resource server does with PyJWT alone: the key from the JWKS by `kid`, then the claims."""
    keys = jwt.PyJWKClient(f"{platform.edge_url}/.well-known/jwks.json")
    key = keys.get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=["EdDSA"],
        audience="taquilla-api",
        issuer=platform.env("EDGE_PUBLIC_URL"),
        options={"require": ["exp", "iat", "sub", "jti"]},
    )
    return claims


async def test_authlib_gets_a_partner_token_with_client_credentials_and_pyjwt_verifies_it(
    edge: httpx.AsyncClient, platform: Platform
) -> None:
    admin = await login_as(edge, "admin")
    created = await edge.post(
        "/api/v1/admin/api-clients",
        headers=bearer(admin["access_token"]),
        json={"name": "Authlib partner", "scopes": ["events:read", "tickets:read"]},
    )
    assert created.status_code == 201, created.text
    partner = created.json()
    metadata = await server_metadata(edge)
    async with AsyncOAuth2Client(
        partner["client_id"], partner["client_secret"], scope="events:read"
    ) as client:
        token = await client.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "events:read"
    claims = await asyncio.to_thread(verified_claims, platform, token["access_token"])
    assert (claims["kind"], claims["scope"]) == ("client", "events:read")


async def test_authlib_signs_a_user_in_with_the_code_flow_and_pkce(
    edge: httpx.AsyncClient, platform: Platform
) -> None:
    email, password, _ = await new_customer(edge)
    metadata = await server_metadata(edge)
    assert "S256" in metadata["code_challenge_methods_supported"]
    verifier = generate_token(64)
    async with AsyncOAuth2Client(
        client_id=WEB_CLIENT,
        redirect_uri=REDIRECT_URI,
        scope="events:read tickets:read",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
        # The web app's refresh token comes back in an HttpOnly cookie, asked for with this header.
        headers={"X-Taquilla-CSRF": "1"},
    ) as client:
        url, state = client.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier
        )
        request = dict(parse_qsl(urlsplit(url).query))
        assert request["code_challenge_method"] == "S256"
        # The sign-in page (the authorization endpoint) posts the request with the user's credentials.
        signed_in = await edge.post(
            "/api/v1/auth/authorize", data={**request, "username": email, "password": password}
        )
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["state"] == state
        token = await client.fetch_token(
            metadata["token_endpoint"],
            authorization_response=signed_in.json()["redirect_to"],
            code_verifier=verifier,
        )
    claims = await asyncio.to_thread(verified_claims, platform, token["access_token"])
    assert (claims["kind"], claims["role"]) == ("user", "customer")
    assert set(claims["scope"].split()) == {"events:read", "tickets:read"}
    me = await edge.get("/api/v1/users/me", headers=bearer(token["access_token"]))
    assert me.json()["email"] == email


async def test_a_code_works_once_and_only_with_its_verifier(edge: httpx.AsyncClient) -> None:
    email, password, _ = await new_customer(edge)
    verifier = generate_token(64)
    form = {
        "response_type": "code",
        "client_id": WEB_CLIENT,
        "redirect_uri": REDIRECT_URI,
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
        "state": "xyz",
    }
    code = await edge.post("/api/v1/auth/authorize", data={**form, "username": email, "password": password})
    exchange = {
        "grant_type": "authorization_code",
        "code": code.json()["code"],
        "client_id": WEB_CLIENT,
        "redirect_uri": REDIRECT_URI,
    }
    wrong = await edge.post(
        "/api/v1/auth/token", data={**exchange, "code_verifier": generate_token(64)}, headers=CSRF
    )
    assert wrong.json()["error"] == "invalid_grant"
    # The wrong verifier spent the code: the right one comes too late.
    late = await edge.post("/api/v1/auth/token", data={**exchange, "code_verifier": verifier}, headers=CSRF)
    assert late.json()["error"] == "invalid_grant"

    refused = await edge.post(
        "/api/v1/auth/authorize", data={**form, "username": email, "password": "Not-The-Password-1"}
    )
    assert (refused.status_code, refused.json()["error"]) == (400, "access_denied")
    elsewhere = await edge.post(
        "/api/v1/auth/authorize",
        data={**form, "redirect_uri": "https://evil.example/login", "username": email, "password": password},
    )
    assert elsewhere.json()["error"] == "invalid_request"
    plain = await edge.post(
        "/api/v1/auth/authorize",
        data={**form, "code_challenge_method": "plain", "username": email, "password": password},
    )
    assert plain.json()["error"] == "invalid_request"


async def test_of_concurrent_exchanges_of_one_code_exactly_one_gets_tokens(edge: httpx.AsyncClient) -> None:
    email, password, _ = await new_customer(edge)
    verifier = generate_token(64)
    form = {
        "response_type": "code",
        "client_id": WEB_CLIENT,
        "redirect_uri": REDIRECT_URI,
        "code_challenge": pkce_challenge(verifier),
        "username": email,
        "password": password,
    }
    code = (await edge.post("/api/v1/auth/authorize", data=form)).json()["code"]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": WEB_CLIENT,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    replies = await asyncio.gather(
        *(edge.post("/api/v1/auth/token", data=exchange, headers=CSRF) for _ in range(5))
    )
    assert sorted(reply.status_code for reply in replies) == [200, 400, 400, 400, 400]
