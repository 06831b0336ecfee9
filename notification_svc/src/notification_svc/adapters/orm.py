"""Tables of the notifications schema. All SQL of notification_svc lives in adapters/."""

from __future__ import annotations

from sqlalchemy import MetaData

from notification_svc.config import SCHEMA

metadata = MetaData(schema=SCHEMA)
