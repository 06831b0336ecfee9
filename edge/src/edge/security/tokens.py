"""Verifies access tokens locally against the identity service's JWKS.

Only EdDSA is accepted (pinned), so `alg: none`, HS256 signed with a public key (key confusion) and
RS256 never verify. `iss`, `aud`, `exp`, `nbf`, `iat`, `sub` and `jti` are required and checked.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt

from taquilla_runtime.principal import Principal, PrincipalKind, Role

log = logging.getLogger(__name__)
ALGORITHMS = ["EdDSA"]
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 (a media type, RFC 9068)
LEEWAY_SECONDS = 10


class TokenRejected(Exception):
    """Why an access token is not accepted; the text goes into WWW-Authenticate."""


@dataclass(frozen=True)
class VerifiedToken:
    principal: Principal
    jti: str
    expires_at: int
    tier: str | None


class JwksCache:
    """Keys by kid, refreshed every `ttl` seconds, and on an unknown kid at most once per `min_refresh`."""

    def __init__(
        self, fetch: Callable[[], Awaitable[list[dict[str, str]]]], ttl: float = 300, min_refresh: float = 5
    ) -> None:
        self._fetch = fetch
        self._ttl = ttl
        self._min_refresh = min_refresh
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _refresh(self, *, forced: bool, kid: str | None = None) -> None:
        async with self._lock:
            if kid is not None and kid in self._keys:
                return  # another request fetched it meanwhile
            age = time.monotonic() - self._fetched_at
            if not forced and age < self._ttl:
                return
            if forced and age < self._min_refresh:
                # Unknown kids (a rotation, or someone probing) cause at most one fetch per interval;
                # a genuine new key is still found, just a moment later.
                await asyncio.sleep(self._min_refresh - age)
            keys = await self._fetch()
            self._keys = {k["kid"]: jwt.PyJWK(k) for k in keys if k.get("alg") in ALGORITHMS}
            self._fetched_at = time.monotonic()

    async def key(self, kid: str) -> jwt.PyJWK | None:
        if time.monotonic() - self._fetched_at >= self._ttl:
            await self._refresh(forced=False)
        if kid not in self._keys:
            await self._refresh(forced=True, kid=kid)
        return self._keys.get(kid)

    async def public_jwks(self) -> list[dict[str, Any]]:
        await self._refresh(forced=False)
        return [dict(key._jwk_data) for key in self._keys.values()]


class TokenVerifier:
    """Verifies a token's signature and claims once, then reuses the result until the token expires.

    Checking an EdDSA signature is most of what authenticating a request costs, and a client sends
    the same token for up to 15 minutes. Only tokens that verified are remembered (a bounded number,
    oldest first out); expiry is checked again on every use, and revocation (logout) is checked on
    every request by the rate limiter, not here. A signing key withdrawn from the JWKS stops new
    tokens at once and remembered ones within their lifetime, as the JWKS cache's own refresh would.
    """

    def __init__(self, jwks: JwksCache, *, issuer: str, audience: str, remember: int = 10_000) -> None:
        self._jwks = jwks
        self._issuer = issuer
        self._audience = audience
        self._remember = remember
        self._verified: dict[str, VerifiedToken] = {}

    async def verify(self, token: str) -> VerifiedToken:
        known = self._verified.get(token)
        if known is not None:
            if time.time() < known.expires_at + LEEWAY_SECONDS:
                return known
            del self._verified[token]
        verified = await self._verify(token)
        if len(self._verified) >= self._remember:
            del self._verified[next(iter(self._verified))]  # the oldest (dicts keep insertion order)
        self._verified[token] = verified
        return verified

    async def _verify(self, token: str) -> VerifiedToken:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRejected("The access token is malformed") from None
        if header.get("alg") not in ALGORITHMS:
            raise TokenRejected("The access token's algorithm is not accepted")
        # RFC 9068: an access token says so, so an ID token or another JWT signed with the same
        # keys is never taken for one.
        if header.get("typ") != ACCESS_TOKEN_TYPE:
            raise TokenRejected("The token is not an access token")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejected("The access token has no key id")
        try:
            key = await self._jwks.key(kid)
        except Exception:
            log.warning("could not fetch signing keys from identity_svc")
            raise TokenRejected("The access token cannot be verified right now") from None
        if key is None:
            raise TokenRejected("The access token was signed with an unknown key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("The access token expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenRejected("The access token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise TokenRejected("The access token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise TokenRejected("The access token has the wrong issuer") from None
        except jwt.PyJWTError:
            raise TokenRejected("The access token is invalid") from None
        return VerifiedToken(_principal(claims), str(claims["jti"]), int(claims["exp"]), claims.get("tier"))


def _principal(claims: dict[str, Any]) -> Principal:
    try:
        kind = PrincipalKind(claims.get("kind", "user"))
        if kind is PrincipalKind.SERVICE:
            # Services call each other inside; no token from outside speaks for one.
            raise ValueError("an external token cannot be a service")
        return Principal(
            subject=uuid.UUID(str(claims["sub"])),
            kind=kind,
            role=Role(claims["role"]) if claims.get("role") else None,
            organization_id=uuid.UUID(str(claims["org"])) if claims.get("org") else None,
            scopes=frozenset(str(claims.get("scope", "")).split()),
        )
    except (ValueError, KeyError):
        raise TokenRejected("The access token's claims are invalid") from None
