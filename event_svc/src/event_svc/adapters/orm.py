"""Tables of the catalog schema. All SQL of event_svc lives in adapters/."""

from __future__ import annotations

from sqlalchemy import MetaData

from event_svc.config import SCHEMA
from taquilla_runtime.messaging.outbox import outbox_table

metadata = MetaData(schema=SCHEMA)
outbox = outbox_table(metadata)
