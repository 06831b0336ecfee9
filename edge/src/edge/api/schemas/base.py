"""What every request body shares."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class Strict(BaseModel):
    # Unknown fields are rejected (422), never ignored: no mass assignment.
    model_config = ConfigDict(extra="forbid")


class MergePatch(Strict):
    """A JSON merge patch (RFC 7396): a field left out keeps its value, and only the fields named in
    ``clearable`` may be ``null`` (to remove a value). The others are optional in Python (``None``
    means "left out") but not nullable on the wire, and the OpenAPI schema says so."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        nulls = [name for name in self.model_fields_set - self.clearable if getattr(self, name) is None]
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))} cannot be null; omit a field to keep it")
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        resolved = handler.resolve_ref_schema(schema)
        for name, prop in resolved.get("properties", {}).items():
            if name not in cls.clearable:
                _not_nullable(prop)
        return schema


def _not_nullable(prop: dict[str, Any]) -> None:
    choices = [choice for choice in prop.get("anyOf", ()) if choice != {"type": "null"}]
    if "anyOf" not in prop or len(choices) == len(prop["anyOf"]):
        return
    del prop["anyOf"]
    if len(choices) == 1:
        prop.update(choices[0])
    else:
        prop["anyOf"] = choices
    if prop.get("default", ...) is None:
        del prop["default"]


ISO_DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_8601_only(value: object) -> object:
    # Pydantic would also read a number (or a numeric string, "0.5") as seconds since 1970: 0 became
    # a date in 1970 instead of an error. The wire format is ISO-8601 text only (it starts YYYY-MM-DD).
    if isinstance(value, str) and ISO_DATE_START.match(value.strip()):
        return value
    if isinstance(value, dt.datetime):
        return value
    raise ValueError("must be an ISO-8601 date and time with its offset, e.g. 2030-03-14T20:00:00-06:00")


Instant = Annotated[AwareDatetime, BeforeValidator(_iso_8601_only)]
"""A moment in a request: ISO-8601 text with a UTC offset, never a number."""

IsoDatetime = Annotated[dt.datetime, BeforeValidator(_iso_8601_only)]
"""A moment in a query that may leave out its offset (the route says how it reads it): ISO-8601 text,
never a number."""
