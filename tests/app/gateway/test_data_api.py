"""The data plane through HTTP: records, environments, keys, every error of SPEC §2."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Account
from app.db import utcnow
from app.extensions import db
from tests.app.auth.oauth.test_edges import REDIS_URL, redis_up
from tests.gateway_helpers import make_owner


@pytest.fixture
def owner(client):
    return make_owner(client)


@pytest.fixture
def ep(owner):
    return owner.create_endpoint()


def test_create_get_replace_delete(ep):
    created = ep.call("POST", json={"item": "widget", "qty": 2})
    assert created.status_code == 201
    body = created.json
    assert list(body)[:4] == ["id", "environment", "created_at", "updated_at"] or set(body) >= {
        "id", "environment", "created_at", "data"}
    assert body["id"].startswith("rec_") and body["environment"] == "sandbox"
    assert body["data"] == {"item": "widget", "qty": 2}
    assert created.headers["X-Minapi-Log-Id"].startswith("log_")
    rid = body["id"]
    assert ep.call("GET", f"/{rid}").json["data"] == {"item": "widget", "qty": 2}
    replaced = ep.call("PUT", f"/{rid}", json={"item": "gadget"})
    assert replaced.status_code == 200 and replaced.json["data"] == {"item": "gadget"}  # full replace
    assert ep.call("GET", f"/{rid}").json["data"] == {"item": "gadget"}
    gone = ep.call("DELETE", f"/{rid}")
    assert gone.status_code == 204 and gone.data == b""
    assert ep.call("GET", f"/{rid}").json["error"]["code"] == "record_not_found"


def test_list_is_newest_first_with_limit(ep):
    ids = [ep.call("POST", json={"item": f"n{i}"}).json["id"] for i in range(4)]
    page = ep.call("GET", query_string={"limit": 3}).json
    assert [r["id"] for r in page["data"]] == ids[::-1][:3]
    assert page["has_more"] is True and page["next_cursor"]
    rest = ep.call("GET", query_string={"limit": 3, "cursor": page["next_cursor"]}).json
    assert [r["id"] for r in rest["data"]] == [ids[0]] and rest["has_more"] is False
    assert rest["next_cursor"] is None
    assert len(ep.call("GET").json["data"]) == 4  # default limit 10


def test_pagination_never_skips_or_repeats_while_records_are_added(ep):
    original = {ep.call("POST", json={"item": f"o{i}"}).json["id"] for i in range(23)}
    seen, cursor = [], None
    while True:
        page = ep.call("GET", query_string={"limit": 5, **({"cursor": cursor} if cursor else {})}).json
        seen += [r["id"] for r in page["data"]]
        ep.call("POST", json={"item": "added meanwhile"})
        ep.call("POST", json={"item": "added meanwhile too"})
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    from_original = [i for i in seen if i in original]
    assert sorted(from_original) == sorted(original)
    assert len(from_original) == len(set(from_original))


def test_search_finds_words_in_the_window(ep):
    a = ep.call("POST", json={"item": "Blue widget", "meta": {"note": "fragile"}}).json["id"]
    ep.call("POST", json={"item": "red gadget"})
    assert [r["id"] for r in ep.call("GET", "/search", query_string={"q": "blue"}).json["data"]] == [a]
    assert ep.call("GET", "/search", query_string={"q": "blue gadget"}).json["data"] == []  # all words
    assert ep.call("GET", "/search", query_string={"q": "widget"}).json["data"][0]["id"] == a
    past = ep.call("GET", "/search", query_string={"q": "blue", "to": "2020-01-01T00:00:00Z"}).json
    assert past["data"] == []
    bad = ep.call("GET", "/search", query_string={"q": "blue", "from": "yesterday"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "validation_failed"
    assert ep.call("GET", "/search").json["error"]["code"] == "validation_failed"  # q required


def test_searchable_fields_limit_what_search_sees(owner):
    ep = owner.create_endpoint(name="Notes", fields=[{"name": "title", "type": "string", "searchable": True},
                                                    {"name": "secret", "type": "string"}])
    ep.call("POST", json={"title": "hello world", "secret": "zebra"})
    assert len(ep.call("GET", "/search", query_string={"q": "hello"}).json["data"]) == 1
    assert ep.call("GET", "/search", query_string={"q": "zebra"}).json["data"] == []


def test_search_tolerates_operator_characters(ep):
    ep.call("POST", json={"item": "C++ AND/OR \"quotes\" NEAR(x)"})
    for q in ['"', "AND", "NEAR(", "c++ -x", "*", "quotes\""]:
        resp = ep.call("GET", "/search", query_string={"q": q})
        assert resp.status_code in (200, 400), (q, resp.json)
        assert resp.json.get("error", {}).get("code", "validation_failed") == "validation_failed"


def test_any_object_accepted_without_fields(owner):
    ep = owner.create_endpoint(name="Free", fields=[])
    assert ep.call("POST", json={"anything": [1, {"a": None}]}).status_code == 201


def test_sandbox_and_production_are_separate(ep):
    ep.call("POST", json={"item": "sandbox one"})
    assert ep.deploy().status_code == 200
    live = ep.call("POST", key=ep.live, json={"item": "live one"})
    assert live.status_code == 201 and live.json["environment"] == "production"
    assert [r["data"]["item"] for r in ep.call("GET", key=ep.live).json["data"]] == ["live one"]
    assert [r["data"]["item"] for r in ep.call("GET").json["data"]] == ["sandbox one"]
    rid = live.json["id"]
    assert ep.call("GET", f"/{rid}").json["error"]["code"] == "record_not_found"  # not across environments


@pytest.mark.parametrize("method,body", [("GET", None), ("PUT", {"item": "taken"}), ("DELETE", None)])
def test_a_record_is_found_only_in_its_own_endpoint_and_environment(owner, ep, method, body):
    rid = ep.call("POST", json={"item": "mine"}).json["id"]
    other = owner.create_endpoint(name="Other")
    ep.call("POST", json={"item": "seed"})
    assert ep.deploy().status_code == 200
    kw = {"json": body} if body is not None else {}
    for endpoint, key in ((other, other.sandbox), (ep, ep.live)):
        resp = endpoint.call(method, f"/{rid}", key=key, **kw)
        assert resp.status_code == 404 and resp.json["error"]["code"] == "record_not_found"
    assert ep.call("GET", f"/{rid}").json["data"] == {"item": "mine"}  # untouched


def test_validation_details_list_each_field(ep):
    resp = ep.call("POST", json={"qty": "three", "paid": 1, "tags": "x", "meta": []})
    assert resp.status_code == 400
    details = resp.json["error"]["details"]
    assert set(details) == {"item", "qty", "paid", "tags", "meta"}
    assert details["item"] == ["required field is missing"]
    assert details["qty"] == ["must be of type number"]


def test_put_is_validated_like_post(ep):
    rid = ep.call("POST", json={"item": "x"}).json["id"]
    resp = ep.call("PUT", f"/{rid}", json={"qty": 1})
    assert resp.status_code == 400 and resp.json["error"]["details"] == {"item": ["required field is missing"]}
    assert ep.call("GET", f"/{rid}").json["data"] == {"item": "x"}


def _collab(owner, ep, **rights):
    return owner.create_key(ep, "k" + "".join(sorted(rights)), **rights)["keys"]["sandbox"]


ERRORS = {
    "invalid_json": (400, "invalid_json", True,
                     lambda o, e: e.call("POST", data="{nope", content_type="application/json")),
    "not_an_object": (400, "not_an_object", True, lambda o, e: e.call("POST", json=[1, 2])),
    "validation_failed": (400, "validation_failed", True, lambda o, e: e.call("POST", json={"qty": 1})),
    "no key": (401, "invalid_key", False, lambda o, e: o.client.post(f"/api/v1/data/{e.slug}", json={})),
    "wrong key": (401, "invalid_key", False, lambda o, e: e.call("POST", key="tm_test_nope", json={})),
    "mcp key on data plane": (401, "invalid_key", False, lambda o, e: e.call("GET", key="tm_mcp_x")),
    "key of another endpoint": (401, "invalid_key", False,
                                lambda o, e: e.call("GET", key=o.create_endpoint(name="Other").sandbox)),
    "permission_denied": (403, "permission_denied", True,
                          lambda o, e: e.call("POST", key=_collab(o, e, read=True), json={"item": "x"})),
    "key_inactive": (403, "key_inactive", True, lambda o, e: _inactive(o, e)),
    "endpoint_inactive": (403, "endpoint_inactive", True, lambda o, e: _endpoint_off(o, e)),
    "not_deployed": (403, "not_deployed", False, lambda o, e: e.call("GET", key=e.live)),
    "endpoint_not_found": (404, "endpoint_not_found", False,
                           lambda o, e: o.client.get("/api/v1/data/no-such-slug",
                                                     headers={"Authorization": f"Bearer {e.sandbox}"})),
    "record_not_found": (404, "record_not_found", True, lambda o, e: e.call("GET", "/rec_nothere")),
    "method not allowed": (405, "method_not_allowed", False, lambda o, e: e.call("PATCH", json={})),
    "payload_too_large": (413, "payload_too_large", True,
                          lambda o, e: e.call("POST", json={"item": "x" * (101 * 1024)})),
    "unsupported_media_type": (415, "unsupported_media_type", True,
                               lambda o, e: e.call("POST", data="item=x", content_type="text/plain")),
}


def _inactive(owner, ep):
    key = owner.create_key(ep, "off", read=True)
    owner.api("POST", f"/api/v1/collaborators/{ep.slug}/keys/off/deactivate")
    return ep.call("GET", key=key["keys"]["sandbox"])


def _endpoint_off(owner, ep):
    assert owner.api("PATCH", f"/api/v1/endpoints/{ep.slug}", json={"active": False}).json["active"] is False
    return ep.call("GET")


@pytest.mark.parametrize("status,code,logged,make", ERRORS.values(), ids=ERRORS.keys())
def test_every_data_plane_error(owner, ep, status, code, logged, make):
    resp = make(owner, ep)
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    assert resp.json["error"]["code"] == code
    assert resp.json["error"]["message"]
    assert ("X-Minapi-Log-Id" in resp.headers) is logged


def test_quota_exceeded(make_app):
    app = make_app(PLANS={"tiny": {"calls": 3, "price": 0}, "free": {"calls": 1000, "price": 0}},
                   DEFAULT_PLAN="tiny")
    ep = make_owner(app.test_client()).create_endpoint()
    codes = [ep.call("GET").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    resp = ep.call("GET")
    assert resp.json["error"]["code"] == "quota_exceeded"
    assert resp.json["error"]["details"] == {"limit": 3, "used": 3}
    assert "X-Minapi-Log-Id" in resp.headers  # refused calls are logged (not counted)


def test_a_new_cycle_starts_a_new_count(make_app):
    """The key's lookup counts the cycle the key was last charged in; once 30 days have passed
    that count is stale and the new cycle's own is used."""
    app = make_app(PLANS={"tiny": {"calls": 3, "price": 0}, "free": {"calls": 1000, "price": 0}},
                   DEFAULT_PLAN="tiny")
    ep = make_owner(app.test_client()).create_endpoint()
    assert [ep.call("GET").status_code for _ in range(4)] == [200, 200, 200, 429]
    with app.app_context():  # 30 days and a minute pass
        account = db.session.scalar(select(Account))
        account.cycle_started_at = utcnow() - timedelta(days=30, minutes=1)
        db.session.commit()
    assert [ep.call("GET").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert ep.call("GET").json["error"]["details"] == {"limit": 3, "used": 3}


def test_enterprise_goes_over_the_limit(make_app):
    plans = {"ent": {"calls": 2, "price": 100, "overage_price": 0.0005}}
    ep = make_owner(make_app(PLANS=plans, DEFAULT_PLAN="ent").test_client()).create_endpoint()
    assert [ep.call("GET").status_code for _ in range(4)] == [200] * 4


@pytest.mark.parametrize("storage", ["memory", pytest.param("redis", marks=pytest.mark.skipif(
    not redis_up(), reason="Redis is not reachable at 127.0.0.1:6379"))])
def test_rate_limited_with_retry_after(make_app, storage):
    shared = {"REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex} if storage == "redis" else {}
    app = make_app(RATELIMIT_ENABLED=True, DATA_RATE_LIMIT="3/minute", **shared)
    ep = make_owner(app.test_client()).create_endpoint()
    codes = [ep.call("GET").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    resp = ep.call("GET")
    assert resp.json["error"]["code"] == "rate_limited"
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    other = ep.owner.create_endpoint(name="Other")  # another key has its own budget
    assert other.call("GET").status_code == 200


@pytest.mark.parametrize("right,method,suffix,body", [
    ("create", "POST", "", {"item": "x"}),
    ("read", "GET", "", None),
    ("update", "PUT", "/{rid}", {"item": "y"}),
    ("delete", "DELETE", "/{rid}", None),
])
def test_each_crud_right_allows_its_method_only(owner, ep, right, method, suffix, body):
    rid = ep.call("POST", json={"item": "seed"}).json["id"]
    only = owner.create_key(ep, f"only-{right}", **{right: True})["keys"]["sandbox"]
    everything = {"create": ("POST", "", {"item": "x"}), "read": ("GET", "", None),
                  "update": ("PUT", f"/{rid}", {"item": "y"}), "delete": ("DELETE", f"/{rid}", None)}
    for other, (m, sfx, b) in everything.items():
        if other == right:
            continue
        kw = {"json": b} if b is not None else {}
        resp = ep.call(m, sfx, key=only, **kw)
        assert resp.status_code == 403 and resp.json["error"]["code"] == "permission_denied", (other, resp.json)
    kw = {"json": body} if body is not None else {}
    resp = ep.call(method, suffix.format(rid=rid), key=only, **kw)
    assert resp.status_code in (200, 201, 204), resp.json


def test_read_right_covers_search_and_get_one(owner, ep):
    rid = ep.call("POST", json={"item": "findme"}).json["id"]
    reader = owner.create_key(ep, "reader", read=True)["keys"]["sandbox"]
    assert ep.call("GET", f"/{rid}", key=reader).status_code == 200
    assert ep.call("GET", "/search", key=reader, query_string={"q": "findme"}).json["data"][0]["id"] == rid


def test_collaboration_live_key_needs_deploy_too(owner, ep):
    live = owner.create_key(ep, "both", read=True, create=True)["keys"]["production"]
    assert ep.call("GET", key=live).json["error"]["code"] == "not_deployed"
    ep.call("POST", json={"item": "x"})
    ep.deploy()
    assert ep.call("GET", key=live).status_code == 200
