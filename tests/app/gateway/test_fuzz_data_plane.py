"""A hypothesis-driven client of the data plane: random methods, paths, ids, keys, query parameters
(cursors, dates, limits), webhook headers and bodies (JSON of every shape, hostile JSON, raw bytes,
odd media types). Whatever it sends, the answer is a success or a 4xx in the SPEC's error shape.
Seeded and bounded for CI; MINAPI_FUZZ_EXAMPLES=N runs it longer."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.gateway_helpers import make_owner
from tests.hostile import BIG_CURSOR, DEEP_ARRAY, DEEP_OBJECT, assert_error_shape, fuzz_examples

pytestmark = pytest.mark.fuzz

EXAMPLES = fuzz_examples(150)
HOSTILE_TEXT = ["\x00", "\ud800", "a\x00b", "9" * 400, "-1", "0", "1e999", "NaN", "rec_" + "0" * 40, BIG_CURSOR,
                "0001-01-01", "9999-12-31T23:59:59-14:00", "9999-12-31", "2026-12-03", "2026-13-45", "../..",
                "%00", "%ff", "\u202e", "🙂" * 50, " ", "x" * 3000]
HOSTILE_BODIES = [DEEP_ARRAY.encode(), DEEP_OBJECT.encode(), b'{"a":"\\ud800"}', b'{"a":"\xed\xa0\x80"}',
                  b'{"a":"\\u0000"}', b'{"a":NaN}', b'{"a":Infinity}', b'{"a":1e999}', b"\xff\xfe\x00",
                  b'{"a":' + b"9" * 5000 + b"}", b"[]", b"null", b'"text"', b"", b"{", b'{"a":1}{"b":2}',
                  b"\xef\xbb\xbf{}"]

texts = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=40))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=20)
bodies = st.one_of(
    st.dictionaries(st.sampled_from(["item", "qty", "paid", "tags", "meta"]) | texts, json_values, max_size=6)
    .map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from(HOSTILE_BODIES),
    st.binary(max_size=200))
query_names = st.sampled_from(["limit", "cursor", "q", "from", "to"]) | texts
query_values = st.sampled_from(["1", "30", "31", "0", "abc"]) | texts
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60)  # what HTTP carries


@pytest.fixture
def target(client):
    """An endpoint with typed fields, a record, and a read-only collaboration key."""
    owner = make_owner(client)
    ep = owner.create_endpoint()
    record = ep.call("POST", json={"item": "seed"}).json["id"]
    reader = owner.create_key(ep, "reader", read=True)["keys"]["sandbox"]
    return ep, record, reader


def test_data_plane_never_answers_a_server_error(target):
    ep, record, reader = target

    @given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
           slug=st.sampled_from([ep.slug, ep.slug, "nope"]) | texts.filter(lambda s: "/" not in s and "?" not in s),
           suffix=st.sampled_from(["", "", "/search", f"/{record}", "/rec_missing", "/a/b"]) |
           texts.map(lambda s: "/" + s.replace("?", "").replace("#", "")),
           key=st.sampled_from([ep.sandbox, ep.sandbox, ep.live, reader, "tm_test_nope", ""]) | header_text,
           query=st.dictionaries(query_names, query_values, max_size=4),
           body=st.none() | bodies,
           media=st.sampled_from(["application/json", "application/json; charset=latin-1", "text/plain",
                                  "application/x-www-form-urlencoded", ""]),
           webhook=st.none() | st.fixed_dictionaries({"X-Webhook-Callback": header_text,
                                                      "X-Webhook-Auth-Header": header_text}))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def call(method, slug, suffix, key, query, body, media, webhook):
        headers = {"Authorization": f"Bearer {key}", **(webhook or {})}
        if media:
            headers["Content-Type"] = media
        # Sent as a client sends them: text as UTF-8 bytes (a lone surrogate as its raw bytes), percent-encoded.
        path = quote(f"/api/v1/data/{slug}{suffix}".encode("utf-8", "surrogatepass"), safe="/%")
        query_string = urlencode(query, encoding="utf-8", errors="surrogatepass")
        resp = ep.owner.client.open(path, method=method, headers=headers, query_string=query_string, data=body)
        assert resp.status_code < 500, (method, slug, suffix, query, body, resp.get_data()[:300])
        if resp.status_code >= 400 and method != "HEAD":
            assert_error_shape(resp)
        elif resp.status_code not in (204,) and method != "HEAD" and resp.get_data():
            json.loads(resp.get_data())  # every answer is valid JSON, whatever was stored

    call()
    listed = ep.call("GET", query_string={"limit": 30})
    assert listed.status_code == 200
    json.loads(listed.get_data())
