"""The authorization server's metadata (RFC 8414) claims exactly what is built, and no OpenID Connect."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def metadata(edge_client: Any, **settings: object) -> dict[str, Any]:
    async with edge_client(**settings) as client:
        reply = await client.get("/.well-known/oauth-authorization-server")
        assert reply.status_code == 200, reply.text
        assert (await client.get("/.well-known/openid-configuration")).status_code == 404
        document: dict[str, Any] = reply.json()
    return document


async def test_the_metadata_lists_the_code_flow_with_pkce_and_the_token_endpoint(edge_client) -> None:  # type: ignore[no-untyped-def]
    document = await metadata(
        edge_client, public_url="https://api.taquilla.example", web_app_url="https://taquilla.example"
    )
    assert document["issuer"] == "https://api.taquilla.example"
    assert document["authorization_endpoint"] == "https://taquilla.example/login"
    assert document["token_endpoint"] == "https://api.taquilla.example/api/v1/auth/token"
    assert document["jwks_uri"] == "https://api.taquilla.example/.well-known/jwks.json"
    assert document["response_types_supported"] == ["code"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert set(document["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "none",
    }
    assert "admin" in document["scopes_supported"]
    for claim in ("registration_endpoint", "userinfo_endpoint", "id_token_signing_alg_values_supported"):
        assert claim not in document


async def test_the_password_grant_is_listed_only_where_it_is_on(edge_client) -> None:  # type: ignore[no-untyped-def]
    on = await metadata(edge_client)
    off = await metadata(edge_client, password_grant_enabled=False)
    assert "password" in on["grant_types_supported"]
    assert off["grant_types_supported"] == ["authorization_code", "refresh_token", "client_credentials"]
