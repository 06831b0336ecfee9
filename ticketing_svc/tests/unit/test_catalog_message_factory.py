"""The catalog messages these tests feed ticketing_svc are the catalog's contract, not a guess:
every one the factory makes must match protos/taquilla/events/v1/messages.schema.json."""

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from ticketing_factories import catalog_message, catalog_payload, make_event

from taquilla_runtime.messaging.envelope import Envelope
from ticketing_svc.domain.model import SaleSettings
from ticketing_svc.entrypoints.catalog_messages import command_for, event_from

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
            payment_minutes=15,
            reentry_allowed=True,
            transfers_allowed=False,
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


def test_the_sale_settings_of_a_catalog_message_are_read_in_full() -> None:
    settings = SaleSettings(hold_minutes=4, payment_minutes=15, reentry_allowed=True, transfers_allowed=False)
    event = make_event(settings=settings)
    command = command_for(Envelope.from_bytes(catalog_message(event).to_bytes()))
    assert command is not None
    assert command.event is not None
    read = command.event.settings
    assert (read.payment_minutes, read.reentry_allowed, read.transfers_allowed) == (15, True, False)


def test_a_catalog_message_without_the_newer_sale_settings_reads_their_defaults() -> None:
    payload = catalog_payload(make_event())
    for key in ("paymentMinutes", "reentryAllowed", "transfersAllowed"):
        del payload["sales"][key]
    read = event_from(payload).settings
    assert (read.payment_minutes, read.reentry_allowed, read.transfers_allowed) == (10, False, True)
