"""The web app's refresh token lives in an HttpOnly cookie scoped to the auth endpoints, guarded
against cross-site requests; its body never carries it.

httpx, not being a browser, keeps no ``Secure`` cookie over http: the tests send it back by hand.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx
import pytest
from authlib.common.security import generate_token

from identity_svc.domain.model import pkce_challenge
from tests.conftest import bearer, new_customer

pytestmark = pytest.mark.asyncio(loop_scope="session")
TOKEN = "/api/v1/auth/token"
REDIRECT_URI = "http://127.0.0.1:5173/login"
CSRF = {"X-Taquilla-CSRF": "1"}


def refresh_cookie(reply: httpx.Response) -> SimpleCookie:
    jar = SimpleCookie()
    jar.load(reply.headers["set-cookie"])
    return jar


async def web_sign_in(edge: httpx.AsyncClient) -> httpx.Response:
    email, password, _ = await new_customer(edge)
    verifier = generate_token(64)
    code = await edge.post(
        "/api/v1/auth/authorize",
        data={
            "response_type": "code",
            "client_id": "taquilla-web",
            "redirect_uri": REDIRECT_URI,
            "code_challenge": pkce_challenge(verifier),
            "username": email,
            "password": password,
        },
    )
    reply = await edge.post(
        TOKEN,
        data={
            "grant_type": "authorization_code",
            "code": code.json()["code"],
            "client_id": "taquilla-web",
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        headers=CSRF,
    )
    assert reply.status_code == 200, reply.text
    return reply


async def test_the_web_apps_refresh_token_is_an_httponly_strict_cookie_of_the_auth_endpoints(
    edge: httpx.AsyncClient,
) -> None:
    signed_in = await web_sign_in(edge)
    assert "refresh_token" not in signed_in.json()
    cookie = refresh_cookie(signed_in)["taquilla_refresh"]
    assert cookie["path"] == "/api/v1/auth"
    assert cookie["httponly"]
    assert cookie["secure"]
    assert cookie["samesite"] == "strict"

    refreshed = await edge.post(
        TOKEN,
        data={"grant_type": "refresh_token"},
        # As the web app's fetch sends it: its own origin, which the edge is reached through.
        headers={
            **CSRF,
            "Cookie": f"taquilla_refresh={cookie.value}",
            "Origin": str(edge.base_url).rstrip("/"),
        },
    )
    assert refreshed.status_code == 200, refreshed.text
    assert "refresh_token" not in refreshed.json()
    rotated = refresh_cookie(refreshed)["taquilla_refresh"].value
    assert rotated != cookie.value
    # The spent cookie again: a replay, so the family is revoked and the browser told to forget it.
    replayed = await edge.post(
        TOKEN,
        data={"grant_type": "refresh_token"},
        headers={**CSRF, "Cookie": f"taquilla_refresh={cookie.value}"},
    )
    assert replayed.json()["error"] == "invalid_grant"
    assert 'taquilla_refresh=""' in replayed.headers["set-cookie"]


async def test_a_cookie_refresh_needs_the_csrf_header_and_a_same_site_origin(edge: httpx.AsyncClient) -> None:
    cookie = refresh_cookie(await web_sign_in(edge))["taquilla_refresh"].value
    sent = {"Cookie": f"taquilla_refresh={cookie}"}
    forged = await edge.post(TOKEN, data={"grant_type": "refresh_token"}, headers=sent)
    assert (forged.status_code, forged.json()["error"]) == (403, "invalid_request")
    elsewhere = await edge.post(
        TOKEN,
        data={"grant_type": "refresh_token"},
        headers={**sent, **CSRF, "Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403
    # Neither refusal spent the token.
    fine = await edge.post(TOKEN, data={"grant_type": "refresh_token"}, headers={**sent, **CSRF})
    assert fine.status_code == 200, fine.text


async def test_logout_revokes_the_cookies_family_and_clears_the_cookie(edge: httpx.AsyncClient) -> None:
    signed_in = await web_sign_in(edge)
    cookie = refresh_cookie(signed_in)["taquilla_refresh"].value
    out = await edge.post(
        "/api/v1/auth/logout",
        headers={**bearer(signed_in.json()["access_token"]), "Cookie": f"taquilla_refresh={cookie}"},
    )
    assert out.status_code == 204
    assert 'taquilla_refresh=""' in out.headers["set-cookie"]
    after = await edge.post(
        TOKEN, data={"grant_type": "refresh_token"}, headers={**CSRF, "Cookie": f"taquilla_refresh={cookie}"}
    )
    assert after.json()["error"] == "invalid_grant"
