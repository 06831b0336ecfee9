"""The edge's access-token checks on tokens signed with a real Ed25519 key: only access tokens
(RFC 9068 `typ: at+jwt`) are accepted, and no token from outside may speak for a service."""

import base64
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.security.tokens import JwksCache, TokenRejected, TokenVerifier

pytestmark = pytest.mark.asyncio(loop_scope="session")
ISSUER, AUDIENCE, KID = "http://127.0.0.1:8000", "taquilla-api", "key-1"
PRIVATE = Ed25519PrivateKey.generate()


def public_jwk() -> dict[str, str]:
    raw = PRIVATE.public_key().public_bytes_raw()
    x = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": KID, "alg": "EdDSA", "use": "sig"}


async def keys() -> list[dict[str, str]]:
    return [public_jwk()]


def token(*, typ: str | None = "at+jwt", **claims: Any) -> str:
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(uuid.uuid4()),
        "jti": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "kind": "user",
        "role": "customer",
        **claims,
    }
    headers = {"kid": KID, **({"typ": typ} if typ is not None else {})}
    return jwt.encode(body, PRIVATE, algorithm="EdDSA", headers=headers)


def verifier() -> TokenVerifier:
    return TokenVerifier(JwksCache(keys), issuer=ISSUER, audience=AUDIENCE)


async def test_an_access_token_is_accepted() -> None:
    verified = await verifier().verify(token())
    assert verified.principal.kind.value == "user"


@pytest.mark.parametrize("typ", [None, "JWT", "id+jwt"])
async def test_a_jwt_that_is_not_an_access_token_is_refused(typ: str | None) -> None:
    with pytest.raises(TokenRejected, match="not an access token"):
        await verifier().verify(token(typ=typ))


async def test_no_token_from_outside_speaks_for_a_service() -> None:
    with pytest.raises(TokenRejected, match="claims are invalid"):
        await verifier().verify(token(kind="service", role=None))
