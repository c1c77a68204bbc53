"""Reading JSON that comes from outside: the one strict reader every surface uses.

SPEC §2: strict JSON, the same on both engines. `parse` refuses what one engine would store
and the other refuse, or what would come back as invalid JSON: `NaN`, `Infinity`, numbers out
of double range, invalid UTF-8, unpaired UTF-16 surrogates and the NUL character → 400
`invalid_json`; nesting deeper than `MAX_DEPTH` → 400 `validation_failed`, found by a scan
before `json.loads`, so no input can exhaust the parser's recursion.

`json_object` reads a request body with it (the data plane, the REST adapter, the MCP view);
`StrictJSONProvider` makes Flask's own `request.get_json` use it; `check_value` applies the
same rules to values that arrived already parsed (MCP tool arguments), and `bad_text` to
path segments and query strings.
"""

from __future__ import annotations

import json
import math
import re

from flask import request as flask_request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge

from app.errors import AppError, ValidationFailed

MAX_DEPTH = 32
DOUBLE_MAX = 1.7976931348623157e308
_STRINGS = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.S)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_PAIRS = re.compile(r"\[\]|\{\}")
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")  # NUL, and surrogates (a decoded pair is one character)


class InvalidJSON(AppError, ValueError):
    """Not JSON we accept (a ValueError too, so Flask's `get_json` treats it as bad JSON)."""

    status, code, message = 400, "invalid_json", "The body is not valid JSON."


class TooDeep(ValidationFailed, ValueError):
    message = f"The JSON is nested deeper than {MAX_DEPTH} levels."


def _reject_constant(name: str):
    raise InvalidJSON(f"The body is not valid JSON: {name} is not a JSON number.")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise InvalidJSON(f"The body is not valid JSON: {text[:40]} is out of range for a number.")
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > 308 and abs(int(text)) > DOUBLE_MAX:
        raise InvalidJSON(f"The body is not valid JSON: {text[:40]}… is out of range for a number.")
    return int(text)


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_float, parse_int=_int)


def depth_exceeds(text: str, limit: int) -> bool:
    """Whether the JSON text nests arrays/objects deeper than `limit` (brackets in strings ignored).

    Works on the bracket skeleton, removing the innermost empty pairs once per level: a few passes
    of C regex code however long the text, and never more than `limit` passes."""
    if text.count("[") + text.count("{") <= limit:
        return False  # the common case: too few brackets to be that deep
    skeleton = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    for _ in range(limit):
        skeleton = _PAIRS.sub("", skeleton)
        if not skeleton:
            return False
    return bool(_PAIRS.search(skeleton))  # pairs left after `limit` levels (else unbalanced: not JSON)


def bad_text(text: str) -> str | None:
    """Why `text` can never be stored (NUL, a lone surrogate), or None when it can."""
    found = _BAD_CHARS.search(text)
    if found is None:
        return None
    return "contains the NUL character" if found.group() == "\x00" else "contains an unpaired UTF-16 surrogate"


def parse(raw: bytes | str, *, max_depth: int = MAX_DEPTH, check_strings: bool = True):
    """The JSON value in `raw`; raises InvalidJSON or TooDeep (both AppErrors and ValueErrors).

    `check_strings=False` leaves NUL and surrogate escapes in strings for the caller to judge
    (the MCP view: the tool layer answers them with a `validation_failed` result)."""
    if isinstance(raw, (bytes, bytearray)):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidJSON(f"The body is not valid JSON: not UTF-8 at byte {exc.start}.") from None
    else:
        text = raw
    if depth_exceeds(text, max_depth):
        raise TooDeep(details={"body": [f"nested deeper than {max_depth} levels"]})
    try:
        value = _DECODER.decode(text)
    except InvalidJSON:
        raise
    except (ValueError, RecursionError) as exc:
        raise InvalidJSON(f"The body is not valid JSON: {exc}"[:300]) from None
    if check_strings and "\\u" in text:  # NUL and surrogates can only arrive escaped
        problem = value_problem(value, max_depth)
        if problem:
            raise InvalidJSON(f"The body is not valid JSON: it {problem}.")
    return value


def value_problem(value, max_depth: int = MAX_DEPTH) -> str | None:
    """What makes an already parsed value unacceptable under `parse`'s rules, or None."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            problem = bad_text(item)
            if problem:
                return problem
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "contains a number that is not finite"
        elif isinstance(item, int) and not isinstance(item, bool):
            if abs(item) > DOUBLE_MAX:
                return "contains a number out of range"
        elif isinstance(item, (dict, list)):
            if depth > max_depth:
                return f"is nested deeper than {max_depth} levels"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


def check_value(args: dict) -> None:
    """Apply the strict rules to each argument of an already parsed dict; raises ValidationFailed
    naming each argument that breaks them."""
    problems = {}
    for name, value in args.items():
        problem = bad_text(name) if isinstance(name, str) else None
        problem = problem or value_problem(value)
        if problem:
            problems[str(name).replace("\x00", "\\u0000").encode("utf-8", "replace").decode()] = [problem]
    if problems:
        raise ValidationFailed("Some arguments contain values that cannot be stored.", details=problems)


def read_raw(request) -> bytes:
    """The whole body; a body whose transfer is broken (a bad chunk size) is a 400, not a 500."""
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise AppError("The body is too large.", code="payload_too_large", status=413) from None
    except Exception as exc:  # noqa: BLE001 - only the transfer can fail here: Werkzeug raises OSError or
        # ValueError for a broken chunked body, gunicorn its own ParseException (a plain Exception)
        raise InvalidJSON(f"The body could not be read: {exc}"[:200]) from None


def json_object(*, max_bytes: int | None = None, allow_empty: bool = True, req=None) -> dict:
    """The body as a dict; `req` is Flask's current request unless given (the data plane's own)."""
    request = req if req is not None else flask_request
    length = request.content_length
    has_body = bool(length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if has_body and request.mimetype != "application/json":
        raise AppError("Send the body as application/json.", code="unsupported_media_type", status=415)
    if max_bytes is not None and length is not None and length > max_bytes:
        raise AppError(f"The body is larger than {max_bytes // 1024} KB.", code="payload_too_large", status=413)
    raw = read_raw(request)
    if max_bytes is not None and len(raw) > max_bytes:
        raise AppError(f"The body is larger than {max_bytes // 1024} KB.", code="payload_too_large", status=413)
    if not raw.strip():
        if allow_empty:
            return {}
        raise AppError("Send a JSON object as the body.", code="not_an_object")
    value = parse(raw)
    if not isinstance(value, dict):
        raise AppError("The body must be a JSON object.", code="not_an_object")
    return value


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_unstorable_text() -> None:
    """Before every Flask view (pages, forms, OAuth, REST): a path part, query parameter or form
    field carrying NUL (no PostgreSQL text column holds it) is 400 `validation_failed`, before any
    view can hand it to a query. The data plane checks its own URLs at its edge."""
    request = flask_request
    parts = list((request.view_args or {}).items()) + list(request.args.items(multi=True))
    if request.mimetype in FORM_TYPES:
        parts += list(request.form.items(multi=True))
    err = unstorable(parts)
    if err is not None:
        raise err


def unstorable(parts) -> ValidationFailed | None:
    """The error for (name, text) pairs from a request (path parts, query, form fields, headers)
    when any of them carries what no column can hold, or None."""
    problems = {}
    for name, value in parts:
        if bad_text(name):
            problems["parameter"] = [f"a name {bad_text(name)}"]
        elif isinstance(value, str) and bad_text(value):
            problems[name] = [bad_text(value)]
    if not problems:
        return None
    return ValidationFailed("The request carries characters that cannot be stored.", details=problems)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading with `parse`: `request.get_json()` anywhere in the app is strict too."""

    def loads(self, s, **kwargs):
        return parse(s)
