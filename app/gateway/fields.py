"""Checking a record against its endpoint's field definitions.

A definition is `{name, type, required, searchable}` (validated at the edge by the
endpoints plugin's schemas); with no definitions any JSON object is accepted.
`check_record` returns per-field problems for the SPEC's 400 `validation_failed` `details`.
"""

from __future__ import annotations

TYPES = ("string", "number", "boolean", "array", "object")


def _is(value, type_: str) -> bool:
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_ == "boolean":
        return isinstance(value, bool)
    if type_ == "array":
        return isinstance(value, list)
    return isinstance(value, dict)


def check_record(definitions: list[dict], data: dict) -> dict:
    """Problems per field name (missing or mistyped); empty when the record is valid."""
    problems = {}
    for field in definitions:
        name = field["name"]
        value = data.get(name)
        if value is None:
            if field["required"]:
                problems[name] = ["required field is missing"]
            continue
        if not _is(value, field["type"]):
            problems[name] = [f"must be of type {field['type']}"]
    return problems


def search_source(definitions: list[dict], data: dict):
    """What the full-text index sees: the searchable fields if any are marked, else the whole record."""
    marked = [f["name"] for f in definitions if f.get("searchable")]
    if not marked:
        return data
    return {name: data.get(name) for name in marked if data.get(name) is not None}
