"""Tables of the identity schema. All SQL of identity_svc lives in adapters/."""

from __future__ import annotations

from sqlalchemy import MetaData

from identity_svc.config import SCHEMA

metadata = MetaData(schema=SCHEMA)
