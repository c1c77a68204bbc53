"""marshmallow schemas to JSON Schema, for MCP `inputSchema`/`outputSchema` and OpenAPI.

apispec's converter does the field mapping. `json_schema` inlines nested schemas, so each
OpenAPI operation's schema stands alone. `tool_schemas` is what the MCP tools carry, read by
a model on every conversation, so it is compact without losing meaning (SPEC §3 caps the
whole `tools/list` at 32,000 characters):
- a nested schema used more than once in a tool is written once under the tool's own `$defs`
  and referenced (`#/$defs/Name`, resolved inside the tool's schema, never across tools);
- an output schema leaves out what only restricts what minapi itself sends (lengths, patterns,
  ranges, defaults, `required`, `additionalProperties: false`), and outlines its nested objects
  in one line each (`{id: string, tags: string[], …}`);
- a result another tool already spells out is named, not repeated ("The same result as …");
- an input schema keeps everything a model must get right, except string lengths (the
  server's `validation_failed` names the field and its limit).
"""

from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, ValidationError, fields

from app.formats import parse_moment

OPENAPI_VERSION = "3.1.0"
COMPONENTS = "#/components/schemas/"
# Keywords that only restrict what minapi sends; a model reading a result needs none of them.
OUTPUT_LIMITS = frozenset({"default", "pattern", "minLength", "maxLength", "minimum", "maximum",
                           "minItems", "maxItems", "exclusiveMinimum", "exclusiveMaximum", "required"})
# Input keywords a model can do without: the server checks them and its error names the field.
INPUT_LIMITS = frozenset({"minLength", "maxLength"})


def _converter(resolver=lambda schema: None):
    plugin = MarshmallowPlugin(schema_name_resolver=resolver)
    spec = APISpec(title="minapi", version="1", openapi_version=OPENAPI_VERSION, plugins=[plugin])
    return spec, plugin.converter


@lru_cache(maxsize=1)
def _inline_converter():
    return _converter()[1]


def json_schema(schema: Schema) -> dict:
    """The JSON Schema (draft 2020-12 compatible) of a marshmallow schema, as an object schema."""
    out = dict(_inline_converter().schema2jsonschema(schema))
    out.setdefault("type", "object")
    out.setdefault("properties", {})
    return out


def _nested_schemas(schema: Schema):
    """Every nested schema in the tree, once per place it appears (repeats included)."""
    for field in schema.fields.values():
        while isinstance(field, (fields.List, fields.Dict)):
            field = field.inner if isinstance(field, fields.List) else field.value_field
        if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
            yield field.schema
            yield from _nested_schemas(field.schema)


def _rewrite(node, *, output: bool):
    if isinstance(node, list):
        return [_rewrite(n, output=output) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith(COMPONENTS):
            value = "#/$defs/" + value[len(COMPONENTS):]
        elif key == "default" and value is None:
            continue  # a null default says nothing the type does not
        elif output and (key in OUTPUT_LIMITS or (key == "additionalProperties" and value is False)):
            if not (key == "required" and isinstance(value, bool)):
                continue
        elif not output and key in INPUT_LIMITS and isinstance(value, int):
            continue
        elif not output and key in ("type", "enum") and isinstance(value, list) and len(value) > 1:
            # an argument a model may leave out: leaving it out says "none" (null is still accepted)
            value = [v for v in value if v not in ("null", None)] if key == "enum" or "null" in value else value
            if key == "type" and len(value) == 1:
                value = value[0]
        if key == "properties" and isinstance(value, dict):  # names, not keywords
            out[key] = {name: _rewrite(v, output=output) for name, v in value.items()}
        else:
            out[key] = value if key in ("enum", "required") else _rewrite(value, output=output)
    return out


def tool_schemas(actions) -> dict[str, tuple[dict, dict]]:
    """Every MCP tool's (inputSchema, outputSchema), shapes shared across tools written once.

    A tool whose result has the same schema as another tool's (a read tool's first) says so
    instead of repeating it; a result that extends another tool's result (a subclass) lists only
    what it adds. Input schemas always stand alone: a model fills them in.
    """
    owner: dict[type, str] = {}
    for action in sorted(actions, key=lambda a: a.kind != "read"):
        owner.setdefault(type(action.returns), action.tool_name)
    out = {}
    for action in actions:
        out[action.tool_name] = (tool_schema(action.args), _result_schema(action, owner))
    return out


def _result_schema(action, owner: dict) -> dict:
    cls = type(action.returns)
    if owner.get(cls, action.tool_name) != action.tool_name:
        return {"type": "object", "description": f"The same result as {owner[cls]}."}
    for base in cls.__mro__[1:]:
        if base in owner and base is not Schema:
            inherited = {field.data_key or name for name, field in base._declared_fields.items()}
            note = f"The same result as {owner[base]}, plus the properties below."
            return tool_schema(action.returns, output=True, leave_out=inherited, note=note)
    return tool_schema(action.returns, output=True)


def tool_schema(schema: Schema, *, output: bool = False, leave_out: set = frozenset(), note: str = "") -> dict:
    """The compact JSON Schema of an MCP tool's input or output (see the module docstring);
    `leave_out` drops result properties that `note` says are described elsewhere."""
    out = _with_defs(schema, output=output)
    if leave_out:
        out["properties"] = {k: v for k, v in out["properties"].items() if k not in leave_out}
    if note:
        out["description"] = note
    return _outline(out) if output else out


def _with_defs(schema: Schema, *, output: bool) -> dict:
    counts = Counter(type(s) for s in _nested_schemas(schema))
    repeated = {cls for cls, n in counts.items() if n > 1}

    def name(nested) -> str | None:  # a name puts the shape in $defs; None writes it in place
        cls = nested if isinstance(nested, type) else type(nested)
        return cls.__name__ if cls in repeated else None

    spec, converter = _converter(name)
    out = dict(converter.schema2jsonschema(schema))
    out.setdefault("type", "object")
    out.setdefault("properties", {})
    defs = spec.to_dict().get("components", {}).get("schemas", {})
    if defs:
        out["$defs"] = defs
    return _rewrite(out, output=output)


def _outline(root: dict) -> dict:
    """An output schema whose nested objects are written as one-line outlines.

    The top-level properties stay JSON Schema (name, type, description); an object or a list
    of objects below them is described by its outline, `{id: string, tags: string[], …}`,
    with each field's description in parentheses. The outline says everything the nested
    schema said to a model in about a third of the characters; shapes used more than once
    are outlined once, by name, in the root's description.
    """
    defs, named = root.pop("$defs", {}), {}
    props = {}
    for name, prop in root.get("properties", {}).items():
        if _is_structured(_without_null(prop), defs):
            kinds = _types(prop, defs)
            described = {"type": kinds[0] if len(kinds) == 1 else kinds}
            text = _outline_of(_without_null(prop), defs, named)
            described["description"] = f"{prop['description']} {text}" if prop.get("description") else text
            prop = described
        props[name] = prop
    root["properties"] = props
    if named:
        where = "; ".join(f"{n} = {o}" for n, o in named.items())
        root["description"] = f"{root['description']} Where {where}." if root.get("description") \
            else f"Where {where}."
    return root


def _without_null(node: dict) -> dict:
    if "anyOf" in node:
        rest = [n for n in node["anyOf"] if n.get("type") != "null"]
        if len(rest) == 1:
            return {**{k: v for k, v in node.items() if k != "anyOf"}, **rest[0]}
    return node


def _resolve(node: dict, defs: dict) -> dict:
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _is_structured(node: dict, defs: dict) -> bool:
    node = _resolve(node, defs)
    if "items" in node:
        return _is_structured(node["items"], defs)
    return bool(node.get("properties"))


def _types(node: dict, defs: dict) -> list:
    if "anyOf" in node:
        return [t for n in node["anyOf"] for t in _types(n, defs)]
    node = _resolve(node, defs)
    kinds = node.get("type", "object")
    return list(kinds) if isinstance(kinds, list) else [kinds]


FORMATS = {"date-time": "datetime", "date": "date"}


def _outline_of(node: dict, defs: dict, named: dict) -> str:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name not in named:
            named[name] = "…"  # placeholder first: a shape that contains itself stops here
            named[name] = _outline_of(defs[name], defs, named)
        return name
    if "anyOf" in node:
        return "|".join(_outline_of(n, defs, named) for n in node["anyOf"])
    if "enum" in node:
        return "|".join(json.dumps(v) for v in node["enum"])
    kinds = node.get("type", "any")  # no type: any JSON value (a marshmallow Raw field)
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return "|".join(_outline_one(node, kind, defs, named) for kind in kinds)


def _is_union(node: dict) -> bool:
    kinds = node.get("type")
    return "anyOf" in node or len(node.get("enum") or ()) > 1 or (isinstance(kinds, list) and len(kinds) > 1)


def _outline_one(node: dict, kind: str, defs: dict, named: dict) -> str:
    if kind == "array":
        items = node.get("items", {})
        inner = _outline_of(items, defs, named)
        return f"({inner})[]" if _is_union(items) else f"{inner}[]"
    if kind == "object" and node.get("properties"):
        parts = []
        for name, prop in node["properties"].items():
            text = f"{name}: {_outline_of(prop, defs, named)}"
            if prop.get("description"):
                text += f" ({prop['description'].rstrip('.')})"
            parts.append(text)
        return "{" + ", ".join(parts) + "}"
    if kind == "object" and isinstance(node.get("additionalProperties"), dict) and node["additionalProperties"]:
        return "{[name]: " + _outline_of(node["additionalProperties"], defs, named) + "}"
    if kind == "string" and node.get("format") in FORMATS:
        return FORMATS[node["format"]]
    return kind


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
