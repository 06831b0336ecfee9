"""What every request body shares."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    # Unknown fields are rejected (422), never ignored: no mass assignment.
    model_config = ConfigDict(extra="forbid")
