"""Password hashing (argon2id) and the Ed25519 keys that sign access tokens."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

import argon2
import jwt
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client import Counter, Gauge

from identity_svc.application.ports import KeyRing, PasswordHasher, PublicKey, SigningKey
from identity_svc.domain.errors import Overloaded

T = TypeVar("T")


HASHING = Gauge(
    "taquilla_identity_svc_password_hashes_in_progress",
    "Password hashes and checks running in worker threads.",
)
SHED = Counter(
    "taquilla_identity_svc_password_hashes_shed_total",
    "Sign-ins and registrations refused because too many passwords were being checked at once.",
)


class Argon2Hasher(PasswordHasher):
    """argon2id with OWASP's minimum parameters (m=19 MiB, t=2, p=1), in worker threads.

    A hash takes tens of milliseconds of CPU: on the event loop, a burst of sign-ins would stall
    every other call of the service. At most ``max_concurrent`` run at once (argon2 releases the
    GIL); a request that cannot start within ``queue_seconds`` is shed with Overloaded (the edge
    answers 503 with Retry-After) instead of queueing without bound.
    """

    def __init__(
        self,
        memory_cost: int = 19 * 1024,
        time_cost: int = 2,
        parallelism: int = 1,
        *,
        max_concurrent: int = 4,
        queue_seconds: float = 2.0,
    ) -> None:
        self._hasher = argon2.PasswordHasher(
            memory_cost=memory_cost, time_cost=time_cost, parallelism=parallelism, type=argon2.Type.ID
        )
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))
        self._slots = asyncio.Semaphore(max_concurrent)
        self._queue_seconds = queue_seconds

    async def _in_thread(self, work: Callable[[], T]) -> T:
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=self._queue_seconds)
        except TimeoutError:
            SHED.inc()
            raise Overloaded("Too many sign-ins at once; try again in a moment.") from None
        HASHING.inc()
        try:
            return await asyncio.to_thread(work)
        finally:
            HASHING.dec()
            self._slots.release()

    async def hash(self, password: str) -> str:
        return await self._in_thread(lambda: self._hasher.hash(password))

    async def verify(self, password_hash: str, password: str) -> bool:
        def check() -> bool:
            try:
                return self._hasher.verify(password_hash, password)
            except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
                return False

        return await self._in_thread(check)

    async def verify_nothing(self, password: str) -> None:
        await self.verify(self._decoy, password)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class Ed25519KeyRing(KeyRing):
    """Creates, stores (encrypted with the key-encryption key) and uses EdDSA signing keys."""

    def __init__(self, key_encryption_key: str) -> None:
        self._fernet = Fernet(key_encryption_key.encode())
        self._private: dict[str, Ed25519PrivateKey] = {}

    def new_key(self, now: dt.datetime) -> SigningKey:
        private = Ed25519PrivateKey.generate()
        raw_public = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        kid = f"{now:%Y%m%d}-{secrets.token_hex(4)}"
        return SigningKey(kid, self._fernet.encrypt(pem), _b64url(raw_public), now)

    def _private_key(self, key: SigningKey) -> Ed25519PrivateKey:
        if key.kid not in self._private:
            loaded = serialization.load_pem_private_key(self._fernet.decrypt(key.private_key), password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise TypeError("signing keys must be Ed25519")
            self._private[key.kid] = loaded
        return self._private[key.kid]

    def sign(self, key: SigningKey, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims, self._private_key(key), algorithm="EdDSA", headers={"kid": key.kid, "typ": "at+jwt"}
        )

    def jwk(self, key: SigningKey) -> PublicKey:
        return PublicKey(kid=key.kid, kty="OKP", crv="Ed25519", x=key.public_x, alg="EdDSA", use="sig")
