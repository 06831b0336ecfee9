import io
import json
import logging

import pytest

from taquilla_runtime.correlation import accept_or_new, reset_correlation_id, set_correlation_id
from taquilla_runtime.logging import JsonFormatter, scrub

JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"


@pytest.fixture
def captured() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test_svc"))
    logger = logging.getLogger("taquilla.test.logging")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_writes_one_json_object_per_line_with_service_and_correlation_id(captured) -> None:  # type: ignore[no-untyped-def]
    logger, stream = captured
    token = set_correlation_id("0b7e1f52-2c1f-4c55-9b7d-3f0a1c2d4e5f")
    try:
        logger.info("event published", extra={"event_id": "e-1"})
    finally:
        reset_correlation_id(token)
    entry = json.loads(stream.getvalue())
    assert entry["message"] == "event published"
    assert entry["service"] == "test_svc"
    assert entry["correlation_id"] == "0b7e1f52-2c1f-4c55-9b7d-3f0a1c2d4e5f"
    assert entry["event_id"] == "e-1"
    assert entry["ts"].endswith("+00:00")


def test_masks_personal_data_and_secrets_in_messages_and_fields(captured) -> None:  # type: ignore[no-untyped-def]
    logger, stream = captured
    logger.info(
        "login for ana.gomez@example.com with password=Sup3rS3cret! and Bearer %s",
        JWT,
        extra={
            "email": "ana.gomez@example.com",
            "headers": {"authorization": "Bearer abc"},
            "note": f"token {JWT}",
        },
    )
    line = stream.getvalue()
    for secret in ("ana.gomez@example.com", "Sup3rS3cret!", JWT, "Bearer abc"):
        assert secret not in line
    assert json.loads(line)["email"] == "[redacted]"


def test_masks_secrets_inside_exception_text(captured) -> None:  # type: ignore[no-untyped-def]
    logger, stream = captured
    try:
        raise ValueError("could not reach user luis@example.org")
    except ValueError:
        logger.exception("failed")
    assert "luis@example.org" not in stream.getvalue()


def test_scrub_leaves_ordinary_text_alone() -> None:
    assert scrub("event 42 published in Bogotá") == "event 42 published in Bogotá"


def test_correlation_ids_must_be_uuids() -> None:
    good = "0B7E1F52-2C1F-4C55-9B7D-3F0A1C2D4E5F"
    assert accept_or_new(good) == good.lower()
    for bad in ("abc", "x" * 40, "0b7e1f52-2c1f-4c55-9b7d-3f0a1c2d4e5f\nforged", None, ""):
        replacement = accept_or_new(bad)
        assert replacement != bad
        assert len(replacement) == 36
