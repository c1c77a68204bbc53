"""marshmallow schemas to JSON Schema, for MCP `inputSchema`/`outputSchema` and OpenAPI.

apispec's converter does the field mapping; nested schemas are inlined so each
tool's schema stands alone (MCP clients do not resolve `$ref`s across tools).
"""

from __future__ import annotations

from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, ValidationError, fields

from app.formats import parse_moment

OPENAPI_VERSION = "3.1.0"


@lru_cache(maxsize=1)
def _converter():
    plugin = MarshmallowPlugin(schema_name_resolver=lambda schema: None)  # inline, no $ref
    APISpec(title="minapi", version="1", openapi_version=OPENAPI_VERSION, plugins=[plugin])
    return plugin.converter


def json_schema(schema: Schema) -> dict:
    """The JSON Schema (draft 2020-12 compatible) of a marshmallow schema, as an object schema."""
    out = dict(_converter().schema2jsonschema(schema))
    out.setdefault("type", "object")
    out.setdefault("properties", {})
    return out


def validation_details(err: ValidationError) -> dict:
    messages = err.messages
    if isinstance(messages, dict):
        return messages
    return {"_schema": messages if isinstance(messages, list) else [str(messages)]}


class Moment(fields.String):
    """An ISO 8601 date or date-time (SPEC §2): no zone means UTC; a date alone means the whole UTC
    day, so give `end=True` to the field that closes a range (`to`) to include that day."""

    def __init__(self, *args, end: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.end = end

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_moment(text, end=self.end)
        except ValueError:
            raise ValidationError("not an ISO 8601 date or time (years 1 to 9999, UTC)") from None
