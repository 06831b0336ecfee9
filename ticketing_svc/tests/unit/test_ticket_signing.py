"""The tickets' QR secrets: Ed25519 signed, compact, refused when anything about them is off."""

from __future__ import annotations

import base64
import datetime as dt
import random
import uuid

import pytest
import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from ticketing_svc.adapters.ticket_signing import (
    BAD_SIGNATURE,
    MALFORMED,
    UNKNOWN_KEY,
    UNSUPPORTED_VERSION,
    InvalidTicketSecret,
    TicketClaims,
    TicketKeyRing,
    TicketOutsideWindow,
)

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
DOORS_OPEN = dt.datetime(2026, 3, 14, 19, 0, tzinfo=dt.UTC)


def make_claims(**overrides: object) -> TicketClaims:
    fields: dict[str, object] = {
        "ticket_id": uuid.uuid4(),
        "session_id": uuid.uuid4(),
        "zone_id": uuid.uuid4(),
        "valid_from": DOORS_OPEN,
        "valid_until": DOORS_OPEN + dt.timedelta(hours=6),
    }
    fields.update(overrides)
    return TicketClaims(**fields)  # type: ignore[arg-type]


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def private_config(kid: str, key: Ed25519PrivateKey) -> str:
    return f"{kid}:{b64url(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))}"


def public_config(kid: str, key: Ed25519PrivateKey) -> str:
    return f"{kid}:{b64url(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))}"


def decoded(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def encoded(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


# --- round trip and format ---------------------------------------------------------------------


def test_a_signed_secret_verifies_to_the_same_claims() -> None:
    ring = TicketKeyRing.generate("k1")
    claims = make_claims()

    assert ring.verify(ring.sign(claims)) == claims


def test_times_are_kept_to_the_whole_second_in_utc() -> None:
    ring = TicketKeyRing.generate("k1")
    madrid = dt.timezone(dt.timedelta(hours=1))
    claims = make_claims(
        valid_from=dt.datetime(2026, 3, 14, 20, 0, 0, 999_999, tzinfo=madrid),
        valid_until=dt.datetime(2026, 3, 15, 2, 0, 30, 1, tzinfo=madrid),
    )

    got = ring.verify(ring.sign(claims))

    assert got.valid_from == dt.datetime(2026, 3, 14, 19, 0, 0, tzinfo=dt.UTC)
    assert got.valid_until == dt.datetime(2026, 3, 15, 1, 0, 30, tzinfo=dt.UTC)
    assert got.valid_from.tzinfo is dt.UTC


def test_the_secret_is_base32_upper_case_without_padding_and_small() -> None:
    ring = TicketKeyRing.generate("k1")

    secret = ring.sign(make_claims())

    assert set(secret) <= set(BASE32)
    assert len(secret) == 199  # 124 bytes: 1 + 1 + 2 + 3 * 16 + 2 * 4 + 64
    raw = decoded(secret)
    assert raw[0] == 1
    assert raw[1:4] == b"\x02k1"


def test_the_secret_fits_a_version_8_qr_code_at_error_correction_m_in_alphanumeric_mode() -> None:
    for kid in ("k1", "k2026-01"):
        secret = TicketKeyRing.generate(kid).sign(make_claims())

        code = segno.make(secret, error="M", micro=False)

        assert code.mode == "alphanumeric"
        assert code.version == 8


def test_claims_refuse_naive_times_and_an_inverted_window() -> None:
    ring = TicketKeyRing.generate("k1")

    with pytest.raises(ValueError, match="timezone-aware"):
        ring.sign(make_claims(valid_from=dt.datetime(2026, 3, 14, 19, 0)))
    with pytest.raises(ValueError, match="before valid_from"):
        ring.sign(make_claims(valid_until=DOORS_OPEN - dt.timedelta(seconds=1)))
    with pytest.raises(ValueError, match="2106"):
        ring.sign(make_claims(valid_until=dt.datetime(2200, 1, 1, tzinfo=dt.UTC)))


# --- tampering ---------------------------------------------------------------------------------


def test_changing_any_character_to_any_other_base32_character_is_refused() -> None:
    ring = TicketKeyRing.generate("k1")
    secret = ring.sign(make_claims())
    tried = 0

    for position, original in enumerate(secret):
        for replacement in BASE32:
            if replacement == original:
                continue
            tampered = secret[:position] + replacement + secret[position + 1 :]
            with pytest.raises(InvalidTicketSecret):
                ring.verify(tampered)
            tried += 1

    assert tried == len(secret) * 31


def test_flipping_any_bit_of_the_record_is_refused() -> None:
    ring = TicketKeyRing.generate("k1")
    raw = decoded(ring.sign(make_claims()))

    for bit in range(len(raw) * 8):
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(InvalidTicketSecret):
            ring.verify(encoded(bytes(flipped)))


def test_claims_re_signed_by_another_key_under_the_same_key_id_are_refused() -> None:
    ring = TicketKeyRing.generate("k1")
    impostor = TicketKeyRing.generate("k1")

    with pytest.raises(InvalidTicketSecret) as refused:
        ring.verify(impostor.sign(make_claims()))

    assert refused.value.reason == BAD_SIGNATURE


def test_a_secret_of_an_unknown_key_id_is_refused() -> None:
    ring = TicketKeyRing.generate("k1")
    other = TicketKeyRing.generate("k2")

    with pytest.raises(InvalidTicketSecret) as refused:
        ring.verify(other.sign(make_claims()))

    assert refused.value.reason == UNKNOWN_KEY


# --- rotation ----------------------------------------------------------------------------------


def test_tickets_signed_before_a_rotation_stay_valid_and_new_ones_use_the_new_key() -> None:
    key_a, key_b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    ring_a = TicketKeyRing.from_config(private_config("a", key_a))
    ring_b = TicketKeyRing.from_config(private_config("b", key_b), retired=[public_config("a", key_a)])
    ring_without_a = TicketKeyRing.from_config(private_config("b", key_b))
    before, after = make_claims(), make_claims()

    old_secret = ring_a.sign(before)
    new_secret = ring_b.sign(after)

    assert ring_b.verify(old_secret) == before
    assert ring_b.verify(new_secret) == after
    assert decoded(new_secret)[2:3] == b"b"
    with pytest.raises(InvalidTicketSecret) as refused:
        ring_without_a.verify(old_secret)
    assert refused.value.reason == UNKNOWN_KEY
    with pytest.raises(InvalidTicketSecret):
        ring_a.verify(new_secret)


def test_public_keys_are_ed25519_jwks_with_the_active_key_first_and_verify_signatures() -> None:
    key_a, key_b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    ring = TicketKeyRing.from_config(private_config("b", key_b), retired=[public_config("a", key_a)])
    secret = ring.sign(make_claims())

    jwks = ring.public_keys()

    assert [jwk["kid"] for jwk in jwks] == ["b", "a"]
    for jwk in jwks:
        assert set(jwk) == {"kty", "crv", "kid", "x", "use", "alg"}
        assert (jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"]) == ("OKP", "Ed25519", "sig", "EdDSA")
        assert "=" not in jwk["x"]
    raw = decoded(secret)
    message, signature = raw[:-64], raw[-64:]
    door_key_b = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwks[0]["x"] + "="))
    door_key_b.verify(signature, message)  # what a door device does, with the JWK alone
    door_key_a = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwks[1]["x"] + "="))
    with pytest.raises(InvalidSignature):
        door_key_a.verify(signature, message)
    assert door_key_a.public_bytes(Encoding.Raw, PublicFormat.Raw) == key_a.public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw
    )


# --- validity window ---------------------------------------------------------------------------


def test_the_window_is_checked_only_when_now_is_given_and_includes_both_ends() -> None:
    ring = TicketKeyRing.generate("k1")
    claims = make_claims()
    secret = ring.sign(claims)

    assert ring.verify(secret) == claims
    assert ring.verify(secret, now=claims.valid_from) == claims
    assert ring.verify(secret, now=claims.valid_until) == claims
    for outside in (
        claims.valid_from - dt.timedelta(seconds=1),
        claims.valid_until + dt.timedelta(seconds=1),
    ):
        with pytest.raises(TicketOutsideWindow) as refused:
            ring.verify(secret, now=outside)
        assert isinstance(refused.value, InvalidTicketSecret)
        assert refused.value.claims == claims


def test_a_forged_secret_is_refused_as_forged_even_outside_its_window() -> None:
    ring = TicketKeyRing.generate("k1")
    forged = TicketKeyRing.generate("k1").sign(make_claims())

    with pytest.raises(InvalidTicketSecret) as refused:
        ring.verify(forged, now=DOORS_OPEN - dt.timedelta(days=1))

    assert not isinstance(refused.value, TicketOutsideWindow)


# --- malformed input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    ["", "A", "AB", "a" * 199, "k1:whatever", "=" * 8, "AAAAAAAA" * 40, "ÑANDÚ", "ABC DEF", "\x00"],
)
def test_malformed_secrets_are_refused_as_such(secret: str) -> None:
    with pytest.raises(InvalidTicketSecret) as refused:
        TicketKeyRing.generate("k1").verify(secret)

    assert refused.value.reason in {MALFORMED, UNSUPPORTED_VERSION}


def test_lower_case_or_padded_copies_of_a_good_secret_are_refused() -> None:
    ring = TicketKeyRing.generate("k1")
    secret = ring.sign(make_claims())

    for variant in (secret.lower(), secret + "=", f" {secret}", secret + "\n"):
        with pytest.raises(InvalidTicketSecret) as refused:
            ring.verify(variant)
        assert refused.value.reason == MALFORMED


def test_a_truncated_or_extended_secret_is_refused_at_every_length() -> None:
    ring = TicketKeyRing.generate("k1")
    secret = ring.sign(make_claims())

    for length in range(len(secret)):
        with pytest.raises(InvalidTicketSecret):
            ring.verify(secret[:length])
    for extra in ("A", "AA", "AAAAAAAA"):
        with pytest.raises(InvalidTicketSecret):
            ring.verify(secret + extra)


def test_another_version_is_refused_as_unsupported() -> None:
    ring = TicketKeyRing.generate("k1")
    raw = bytearray(decoded(ring.sign(make_claims())))

    for version in (0, 2, 255):
        raw[0] = version
        with pytest.raises(InvalidTicketSecret) as refused:
            ring.verify(encoded(bytes(raw)))
        assert refused.value.reason == UNSUPPORTED_VERSION


def test_well_encoded_records_with_a_bad_key_id_length_are_malformed() -> None:
    ring = TicketKeyRing.generate("k1")
    raw = bytearray(decoded(ring.sign(make_claims())))

    for size in (0, 9, 200):
        raw[1] = size
        with pytest.raises(InvalidTicketSecret) as refused:
            ring.verify(encoded(bytes(raw)))
        assert refused.value.reason == MALFORMED


def test_fuzzed_input_raises_invalid_ticket_secret_and_nothing_else() -> None:
    ring = TicketKeyRing.generate("k1")
    good = ring.sign(make_claims())
    rng = random.Random(20260314)
    alphabets = [BASE32, BASE32 + "abc=-_ 01", "".join(map(chr, range(32, 127))) + "ñ€¿\u0000"]

    for _ in range(3000):
        kind = rng.randrange(4)
        if kind == 0:  # random text of any length
            alphabet = rng.choice(alphabets)
            candidate = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 300)))
        elif kind == 1:  # a good secret with a few characters changed, cut or added
            chars = list(good)
            for _ in range(rng.randrange(1, 4)):
                chars[rng.randrange(len(chars))] = rng.choice(alphabets[1])
            candidate = "".join(chars)[: rng.randrange(len(chars) + 1)] + rng.choice(["", "A", "7Z"])
        elif kind == 2:  # random bytes, encoded canonically
            candidate = encoded(rng.randbytes(rng.randrange(0, 160)))
        else:  # version 1 records of plausible shape, random content
            kid_size = rng.randrange(0, 12)
            body = bytes((1, kid_size)) + rng.randbytes(kid_size + 56 + 64 + rng.choice([-1, 0, 0, 1]))
            candidate = encoded(body)
        with pytest.raises(InvalidTicketSecret):
            ring.verify(candidate, now=DOORS_OPEN)


# --- configuration -----------------------------------------------------------------------------


def test_from_config_reads_padded_or_unpadded_base64url_keys() -> None:
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    padded = f"k1:{base64.urlsafe_b64encode(seed).decode()}"

    ring = TicketKeyRing.from_config(padded)

    assert ring.active_kid == "k1"
    assert TicketKeyRing.from_config(private_config("k1", key)).public_keys() == ring.public_keys()


@pytest.mark.parametrize(
    ("active", "retired", "message"),
    [
        ("no-colon-here", (), "expected '<key id>:<base64url key>'"),
        (":{seed}", (), "key id must be 1 to 8 characters"),
        ("much-too-long:{seed}", (), "key id must be 1 to 8 characters"),
        ("k:1:{seed}", (), "not base64url"),
        ("k1:{seed}!!", (), "not base64url"),
        ("k1:{short}", (), "must be 32 raw bytes, got 31"),
        ("k1:{seed}", ("k0:{short}",), r"retired ticket key #1 \('k0'\): the key must be 32 raw bytes"),
        ("k1:{seed}", ("k0:{public}", "nope"), "retired ticket key #2: expected"),
        ("k1:{seed}", ("k1:{public}",), "'k1' appears twice"),
        ("k1:{seed}", "k0:{public}", "sequence of strings, not one string"),
    ],
)
def test_from_config_errors_name_the_problem_without_echoing_key_material(
    active: str, retired: tuple[str, ...] | str, message: str
) -> None:
    material = {
        "seed": b64url(
            Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        ),
        "short": b64url(bytes(range(31))),
        "public": b64url(
            Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        ),
    }
    active_text = active.format(**material)
    retired_text: tuple[str, ...] | str = (
        retired.format(**material)
        if isinstance(retired, str)
        else tuple(r.format(**material) for r in retired)
    )

    with pytest.raises(ValueError, match=message) as refused:
        TicketKeyRing.from_config(active_text, retired_text)

    shown = str(refused.value)
    for value in material.values():
        assert value not in shown
        assert value[:12] not in shown
    assert refused.value.__cause__ is None
    assert refused.value.__suppress_context__ or refused.value.__context__ is None
