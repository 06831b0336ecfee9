"""The catalog messages notification_svc's tests are fed are the catalog's contract, not a guess:
each kind the factory makes must match protos/taquilla/events/v1/messages.schema.json."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from notification_fakes import make_envelope

SCHEMA = (
    Path(__file__).resolve().parents[3] / "protos" / "taquilla" / "events" / "v1" / "messages.schema.json"
)
CATALOG = Draft202012Validator(json.loads(SCHEMA.read_text()))


@pytest.mark.parametrize("kind", ["EventCreated", "EventPublished", "EventUpdated", "EventCancelled"])
def test_catalog_messages_match_the_schema(kind: str) -> None:
    CATALOG.validate(json.loads(make_envelope(kind).to_bytes()))
