"""The password policy: length, no common passwords, nothing derived from the account itself."""

from __future__ import annotations

import functools
import gzip
import unicodedata
from pathlib import Path

from identity_svc.domain.errors import FieldProblem

MIN_LENGTH = 12
MAX_LENGTH = 128
_COMMON = Path(__file__).with_name("common-passwords.txt.gz")


@functools.cache
def _common_passwords() -> frozenset[str]:
    with gzip.open(_COMMON, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def normalize(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def password_problems(password: str, *, email: str = "", full_name: str = "") -> list[FieldProblem]:
    """Why the password is refused (problems of the ``password`` field); none means it is acceptable."""
    password = normalize(password)
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(
            FieldProblem("password", f"must be at least {MIN_LENGTH} characters long", "too_short")
        )
    if len(password) > MAX_LENGTH:
        problems.append(FieldProblem("password", f"must be at most {MAX_LENGTH} characters long", "too_long"))
    lowered = password.lower()
    if (
        lowered in _common_passwords()
        or lowered.rstrip("0123456789!.") in _common_passwords()
        or len(set(lowered)) < 4
    ):
        problems.append(
            FieldProblem(
                "password", "is too common; choose a passphrase of several unrelated words", "weak_password"
            )
        )
    local_part = email.split("@", 1)[0].lower()
    name_parts = [part for part in full_name.lower().split() if len(part) >= 4]
    if (len(local_part) >= 4 and local_part in lowered) or any(part in lowered for part in name_parts):
        problems.append(
            FieldProblem("password", "must not contain your email or name", "contains_personal_data")
        )
    return problems
