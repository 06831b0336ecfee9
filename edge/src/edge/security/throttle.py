"""The token endpoint's per-username throttle: what a password sign-in names, read before the route.

The per-address buckets stop one address from guessing fast; they do not stop many addresses (a
botnet, or a fresh IPv6 address per request) from guessing one account's password, a few guesses
each, below identity_svc's lockout. So a password grant also spends a bucket of its username, from
any address (``EDGE_RATE_LIMIT_USERNAME``, 10 per 15 minutes by default); a successful sign-in gives
its attempt back (edge.security.middleware), so only failures add up.

The bucket's key is a digest of the normalized username: Redis never holds the username, and no
log line names it. Normalization merges at least what identity_svc treats as one account
(``strip().lower()``): NFKC, trimmed, case-folded.

The body is read here, at most :data:`MAX_TOKEN_BODY` bytes, parsed by the same form parser the
route uses (Starlette's, urlencoded or multipart), and replayed to the route unchanged. A username
sent twice is refused as RFC 6749 (section 3.2) says, so the throttle and identity_svc can never
read different ones.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taquilla_runtime.correlation import get_correlation_id

# A token request is a few hundred bytes: refresh tokens and client secrets are short.
MAX_TOKEN_BODY = 16 * 1024
_DIGEST_CONTEXT = b"taquilla/edge/username-throttle/v1\0"


def normalize_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().casefold()


def username_bucket(username: str) -> str:
    """The bucket of a username: ``auth:username:<128-bit digest of the normalized username>``."""
    digest = hashlib.sha256(_DIGEST_CONTEXT + normalize_username(username).encode()).hexdigest()
    return f"auth:username:{digest[:32]}"


@dataclass(frozen=True)
class TokenRequest:
    """A token request's body, read; the username when it is a password grant that names one."""

    body: bytes = b""
    username: str | None = None
    # Set when the request is answered here (too large, a repeated username, the client gone).
    refusal: ASGIApp | None = None

    def replay(self, receive: Receive) -> Receive:
        """A ``receive`` that gives the route the body read here, then what the server sends."""
        sent = False

        async def replayed() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": self.body, "more_body": False}
            return await receive()

        return replayed


def _problem(status: int, slug: str, title: str, detail: str, instance: str) -> JSONResponse:
    body = {
        "type": f"https://taquilla.dev/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if correlation_id := get_correlation_id():
        body["correlation_id"] = correlation_id
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


async def read_token_request(scope: Scope, receive: Receive) -> TokenRequest:
    """The body of a token request (``POST /api/v1/auth/token``) or a sign-in for a code
    (``POST /api/v1/auth/authorize``), and the username it signs in with."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            declared = value.strip()
            if not declared.isdigit() or int(declared) > MAX_TOKEN_BODY:
                return _too_large(scope)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return TokenRequest(refusal=_client_gone)
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > MAX_TOKEN_BODY:
            return _too_large(scope)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    usernames = await _password_usernames(scope, body)
    if len(usernames) > 1:
        # RFC 6749, section 3.2: parameters must not be sent more than once. Were they, the throttle
        # and identity_svc might read different ones.
        return TokenRequest(
            refusal=JSONResponse(
                {"error": "invalid_request", "error_description": "username must be sent once"},
                status_code=400,
                headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
            )
        )
    return TokenRequest(body=body, username=usernames[0] if usernames else None)


def _too_large(scope: Scope) -> TokenRequest:
    detail = f"A token request is at most {MAX_TOKEN_BODY // 1024} KiB."
    return TokenRequest(
        refusal=_problem(413, "content-too-large", "Content Too Large", detail, scope["path"])
    )


async def _client_gone(scope: Scope, receive: Receive, send: Send) -> None:
    """The client went away while sending: nothing to answer."""


async def _password_usernames(scope: Scope, body: bytes) -> list[str]:
    """The usernames of a password grant, read as the route reads its form; none for other requests.

    A body the form parser refuses is left to the route, which refuses it the same way.
    """
    parsed = Request(scope, TokenRequest(body=body).replay(_nothing_more))
    try:
        async with parsed.form() as form:
            # The sign-in page of the authorization code flow always sends a password.
            if scope["path"] != "/api/v1/auth/authorize" and form.get("grant_type") != "password":
                return []
            return [value for value in form.getlist("username") if isinstance(value, str)]
    except Exception:  # an unparsable form: the route's parser refuses it the same way
        return []


async def _nothing_more() -> Message:
    return {"type": "http.disconnect"}
