"""Password hashing (argon2id) and the Ed25519 keys that sign access tokens."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Any

import argon2
import jwt
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from identity_svc.application.ports import KeyRing, PasswordHasher, PublicKey, SigningKey


class Argon2Hasher(PasswordHasher):
    """argon2id with OWASP's minimum parameters (m=19 MiB, t=2, p=1)."""

    def __init__(self, memory_cost: int = 19 * 1024, time_cost: int = 2, parallelism: int = 1) -> None:
        self._hasher = argon2.PasswordHasher(
            memory_cost=memory_cost, time_cost=time_cost, parallelism=parallelism, type=argon2.Type.ID
        )
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    def verify_nothing(self, password: str) -> None:
        self.verify(self._decoy, password)


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
