"""Access-token attacks, refresh rotation, key rotation and logout, against the running edge."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import create_async_engine

from identity_svc.adapters.crypto import Ed25519KeyRing
from identity_svc.adapters.repository import SqlSigningKeys
from identity_svc.config import DEVELOPMENT_KEY_ENCRYPTION_KEY
from tests.conftest import Platform, bearer, login_as, new_customer, password_grant

pytestmark = pytest.mark.asyncio(loop_scope="session")
ME = "/api/v1/users/me"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def claims_for(platform: Platform, subject: str, **overrides: Any) -> dict[str, Any]:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {
        "iss": platform.env("EDGE_PUBLIC_URL"),
        "aud": "taquilla-api",
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
        "kind": "user",
        "role": "customer",
        "org": None,
        "scope": "events:read",
    }
    claims.update(overrides)
    return claims


async def sign_with_platform_key(platform: Platform, claims: dict[str, Any]) -> str:
    """Signs like identity_svc does, with its real current key (read from its database)."""
    engine = create_async_engine(
        platform.env("IDENTITY_SVC_DATABASE_URL"),
        connect_args={"server_settings": {"search_path": "identity"}},
    )
    try:
        async with engine.connect() as connection:
            key = (await SqlSigningKeys(connection).newest(1))[0]
    finally:
        await engine.dispose()
    return Ed25519KeyRing(DEVELOPMENT_KEY_ENCRYPTION_KEY).sign(key, claims)


async def current_kid(edge: httpx.AsyncClient) -> str:
    return str((await edge.get("/.well-known/jwks.json")).json()["keys"][0]["kid"])


async def assert_rejected(edge: httpx.AsyncClient, token: str, reason: str) -> None:
    reply = await edge.get(ME, headers=bearer(token))
    assert reply.status_code == 401, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    challenge = reply.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="invalid_token"' in challenge
    assert reason in reply.json()["detail"]


async def test_a_valid_access_token_identifies_the_caller(edge: httpx.AsyncClient) -> None:
    email, _, tokens = await new_customer(edge)
    reply = await edge.get(ME, headers=bearer(tokens["access_token"]))
    assert reply.status_code == 200
    assert reply.json()["email"] == email
    assert reply.json()["role"] == "customer"
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["alg"] == "EdDSA"
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert {"iss", "aud", "sub", "exp", "iat", "nbf", "jti", "role", "org"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 900


async def test_rejects_alg_none(edge: httpx.AsyncClient, platform: Platform) -> None:
    kid = await current_kid(edge)
    header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    payload = b64(json.dumps(claims_for(platform, str(uuid.uuid4()), role="admin")).encode())
    await assert_rejected(edge, f"{header}.{payload}.", "algorithm is not accepted")


async def test_rejects_hmac_signed_with_the_public_key(edge: httpx.AsyncClient, platform: Platform) -> None:
    jwk = (await edge.get("/.well-known/jwks.json")).json()["keys"][0]
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": jwk["kid"]}).encode())
    payload = b64(json.dumps(claims_for(platform, str(uuid.uuid4()), role="admin")).encode())
    for secret in (jwk["x"].encode(), base64.urlsafe_b64decode(jwk["x"] + "==")):
        signature = b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        await assert_rejected(edge, f"{header}.{payload}.{signature}", "algorithm is not accepted")


async def test_rejects_rs256_tokens(edge: httpx.AsyncClient, platform: Platform) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(
        claims_for(platform, str(uuid.uuid4())),
        private,
        algorithm="RS256",
        headers={"kid": await current_kid(edge)},
    )
    await assert_rejected(edge, token, "algorithm is not accepted")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(dt.datetime.now(dt.UTC).timestamp()) - 120}, "expired"),
        ({"nbf": int(dt.datetime.now(dt.UTC).timestamp()) + 600}, "not valid yet"),
        ({"aud": "another-api"}, "another audience"),
        ({"iss": "https://evil.example"}, "wrong issuer"),
    ],
    ids=["expired", "not-yet-valid", "wrong-audience", "wrong-issuer"],
)
async def test_rejects_tokens_with_bad_claims_even_when_signed_with_the_real_key(
    edge: httpx.AsyncClient, platform: Platform, overrides: dict[str, Any], reason: str
) -> None:
    _, _, tokens = await new_customer(edge)
    subject = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"]
    token = await sign_with_platform_key(platform, claims_for(platform, subject, **overrides))
    await assert_rejected(edge, token, reason)


async def test_accepts_a_token_forged_only_in_this_test_with_the_real_key(
    edge: httpx.AsyncClient, platform: Platform
) -> None:
    """The control for the test above: the same forging path with good claims is accepted."""
    _, _, tokens = await new_customer(edge)
    subject = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"]
    token = await sign_with_platform_key(platform, claims_for(platform, subject))
    assert (await edge.get(ME, headers=bearer(token))).status_code == 200


async def test_rejects_an_unknown_key_id(edge: httpx.AsyncClient, platform: Platform) -> None:
    token = jwt.encode(
        claims_for(platform, str(uuid.uuid4())),
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": "attacker-key", "typ": "at+jwt"},
    )
    await assert_rejected(edge, token, "unknown key")


async def test_rejects_a_tampered_token(edge: httpx.AsyncClient) -> None:
    _, _, tokens = await new_customer(edge)
    header, payload, signature = tokens["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    forged = f"{header}.{b64(json.dumps(claims).encode())}.{signature}"
    await assert_rejected(edge, forged, "invalid")
    await assert_rejected(edge, "not-a-jwt", "malformed")


async def test_requires_a_token_and_says_how_to_send_one(edge: httpx.AsyncClient) -> None:
    reply = await edge.get(ME)
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert reply.headers["content-type"] == "application/problem+json"


async def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_family(edge: httpx.AsyncClient) -> None:
    _, _, first = await new_customer(edge)
    refresh = lambda token: edge.post(
        "/api/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": token}
    )
    second = await refresh(first["refresh_token"])
    assert second.status_code == 200
    assert second.headers["cache-control"] == "no-store"
    rotated = second.json()["refresh_token"]
    assert rotated != first["refresh_token"]
    reused = await refresh(first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    # The thief's replay also locked out the rotated token: the whole family is revoked.
    after_reuse = await refresh(rotated)
    assert after_reuse.status_code == 400
    assert after_reuse.json()["error"] == "invalid_grant"


async def test_key_rotation_keeps_live_tokens_valid(edge: httpx.AsyncClient) -> None:
    admin = await login_as(edge, "admin")
    _, _, before = await new_customer(edge)
    old_kid = jwt.get_unverified_header(before["access_token"])["kid"]
    rotated = await edge.post("/api/v1/admin/signing-keys/rotate", headers=bearer(admin["access_token"]))
    assert rotated.status_code == 200
    new_kid = rotated.json()["kid"]
    assert new_kid != old_kid
    _, _, after = await new_customer(edge)
    assert jwt.get_unverified_header(after["access_token"])["kid"] == new_kid
    for token in (before["access_token"], after["access_token"], admin["access_token"]):
        assert (await edge.get(ME, headers=bearer(token))).status_code == 200
    kids = [k["kid"] for k in (await edge.get("/.well-known/jwks.json")).json()["keys"]]
    assert kids[:2] == [new_kid, old_kid]


async def test_logout_revokes_the_access_token_and_the_refresh_family(edge: httpx.AsyncClient) -> None:
    _, _, tokens = await new_customer(edge)
    headers = bearer(tokens["access_token"])
    reply = await edge.post(
        "/api/v1/auth/logout", headers=headers, json={"refresh_token": tokens["refresh_token"]}
    )
    assert reply.status_code == 204
    still = await edge.get(ME, headers=headers)
    assert still.status_code == 401
    assert "revoked" in still.json()["detail"]
    refreshed = await edge.post(
        "/api/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.json()["error"] == "invalid_grant"


async def test_repeated_wrong_passwords_lock_the_account_for_a_while(edge: httpx.AsyncClient) -> None:
    email, password, _ = await new_customer(edge)
    for _ in range(5):
        wrong = await edge.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": email, "password": "Wrong-Guess-Every-Time"},
        )
        assert wrong.status_code == 400
        assert wrong.json()["error"] == "invalid_grant"
    locked = await edge.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": email, "password": password}
    )
    assert locked.status_code == 400, "the right password must not work while the account is locked"


async def test_unknown_accounts_and_wrong_passwords_answer_alike(edge: httpx.AsyncClient) -> None:
    email, _, _ = await new_customer(edge)
    unknown = await edge.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": "nobody@example.com", "password": "x" * 12},
    )
    wrong = await edge.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": email, "password": "x" * 12}
    )
    assert unknown.status_code == wrong.status_code == 400
    assert unknown.json() == wrong.json()


async def test_partner_clients_get_tokens_with_client_credentials(edge: httpx.AsyncClient) -> None:
    admin = await login_as(edge, "admin")
    created = await edge.post(
        "/api/v1/admin/api-clients",
        headers=bearer(admin["access_token"]),
        json={"name": "Reventa Partner", "scopes": ["events:read"], "rate_limit_tier": "partner"},
    )
    assert created.status_code == 201, created.text
    client = created.json()
    basic = httpx.BasicAuth(client["client_id"], client["client_secret"])
    granted = await edge.post("/api/v1/auth/token", data={"grant_type": "client_credentials"}, auth=basic)
    assert granted.status_code == 200, granted.text
    assert "refresh_token" not in granted.json()
    assert granted.json()["scope"] == "events:read"
    claims = jwt.decode(granted.json()["access_token"], options={"verify_signature": False})
    assert claims["kind"] == "client"
    assert claims["tier"] == "partner"
    wrong = await edge.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials"},
        auth=httpx.BasicAuth(client["client_id"], "guess"),
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert wrong.headers["www-authenticate"].startswith("Basic")
    too_much = await edge.post(
        "/api/v1/auth/token", data={"grant_type": "client_credentials", "scope": "events:write"}, auth=basic
    )
    assert too_much.json()["error"] == "invalid_scope"


async def test_token_endpoint_speaks_rfc_6749_errors(edge: httpx.AsyncClient) -> None:
    assert (await edge.post("/api/v1/auth/token", data={})).json()["error"] == "invalid_request"
    assert (await edge.post("/api/v1/auth/token", data={"grant_type": "implicit"})).json()["error"] == (
        "unsupported_grant_type"
    )
    assert (await edge.post("/api/v1/auth/token", data={"grant_type": "password"})).json()["error"] == (
        "invalid_request"
    )


async def test_server_metadata_points_at_the_token_endpoint_and_keys(
    edge: httpx.AsyncClient, platform: Platform
) -> None:
    document = (await edge.get("/.well-known/oauth-authorization-server")).json()
    assert document["issuer"] == platform.env("EDGE_PUBLIC_URL")
    assert document["token_endpoint"].endswith("/api/v1/auth/token")
    keys = (await edge.get(document["jwks_uri"].replace(platform.edge_url, ""))).json()["keys"]
    assert all(k["kty"] == "OKP" and k["alg"] == "EdDSA" and "d" not in k for k in keys)


async def test_swagger_authorize_uses_the_password_flow(edge: httpx.AsyncClient) -> None:
    schemes = (await edge.get("/openapi.json")).json()["components"]["securitySchemes"]
    flow = next(iter(schemes.values()))
    assert flow["type"] == "oauth2"
    assert flow["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"


async def test_a_demo_account_can_sign_in(edge: httpx.AsyncClient) -> None:
    for role in ("admin", "organizer", "staff", "customer"):
        tokens = await login_as(edge, role)
        me = (await edge.get(ME, headers=bearer(tokens["access_token"]))).json()
        assert me["role"] == role
        assert (me["organization_id"] is not None) == (role in ("organizer", "staff"))


async def test_password_grant_helper_is_usable(edge: httpx.AsyncClient) -> None:
    email, password, _ = await new_customer(edge)
    assert (await password_grant(edge, email.upper(), password))["token_type"] == "Bearer"
