"""The catalog messages these tests feed ticketing_svc are the catalog's contract, not a guess:
every one the factory makes must match protos/taquilla/events/v1/messages.schema.json."""

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from ticketing_factories import catalog_message, make_event

from ticketing_svc.domain.model import SaleSettings

SCHEMA = (
    Path(__file__).resolve().parents[3] / "protos" / "taquilla" / "events" / "v1" / "messages.schema.json"
)
CATALOG = Draft202012Validator(json.loads(SCHEMA.read_text()))


@pytest.mark.parametrize(
    "settings",
    [
        SaleSettings(),
        SaleSettings(
            on_sale_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
            hold_minutes=4,
            max_per_customer=2,
            waiting_room=True,
            admission_per_minute=50,
        ),
    ],
)
@pytest.mark.parametrize("message_type", ["EventCreated", "EventPublished", "EventCancelled"])
def test_the_factorys_catalog_messages_match_the_catalogs_schema(
    settings: SaleSettings, message_type: str
) -> None:
    event = make_event(zones=2, sessions=2, settings=settings)
    if message_type == "EventCancelled":
        event = dataclasses.replace(event, status="cancelled")
    message = json.loads(catalog_message(event, message_type).to_bytes())
    if message_type == "EventCancelled":
        message["payload"]["reason"] = "Lluvia"
    CATALOG.validate(message)
