"""The pages (SPEC §9, §10): `/settings/activity`, and the freeze switch and policy forms on
`/settings/ai`, driven as a person does with forms carrying their CSRF token."""

from __future__ import annotations

import re
from html import unescape

from tests.app.safety.conftest import bearer, new_key

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(page: str) -> str:
    return CSRF.search(page).group(1)


def test_activity_page_lists_filters_and_pages(app, ada):
    key = new_key(ada, "Bot")["key"]
    rest = app.test_client()
    for _ in range(3):
        rest.get("/api/v1/endpoints", headers=bearer(key))
    page = ada.client.get("/settings/activity?actor=Bot")
    assert page.status_code == 200
    html = unescape(page.get_data(as_text=True))
    assert html.count('class="entry outcome-success"') == 3 and "endpoints_list" in html and "Bot" in html
    assert "mcp_keys_create" not in html  # filtered to the key
    bad = ada.client.get("/settings/activity?from=someday")
    assert bad.status_code == 400 and "not valid" in bad.get_data(as_text=True)
    anon = app.test_client().get("/settings/activity")
    assert anon.status_code == 302 and "/login" in anon.headers["Location"]
    home = ada.client.get("/").get_data(as_text=True)
    assert 'href="/settings/activity"' in home


def test_activity_page_pages_with_older_link(app, ada):
    for _ in range(25):
        ada.api("GET", "/api/v1/endpoints")
    html = ada.client.get("/settings/activity?action=endpoints_list").get_data(as_text=True)
    assert html.count('class="entry') == 20
    older = re.search(r'<a href="([^"]+)" rel="next">', html).group(1)
    rest = ada.client.get(unescape(older)).get_data(as_text=True)
    # 25 REST calls; the sign-in's redirect to the APIs page ran endpoints_list once more, as a person
    rows = html.count("<td>rest</td>") + rest.count("<td>rest</td>")
    assert rows == 25 and 'rel="next"' not in rest
    assert rest.count('class="entry') == 5 + rest.count("<td>dashboard</td>")


def test_freeze_switch_and_policy_forms_on_settings_ai(app, ada):
    made = new_key(ada, "Cursor")
    page = ada.client.get("/settings/ai").get_data(as_text=True)
    assert "Freeze all AI writes" in page and 'id="policy-' + made["id"] in page
    token = form_token(page)

    assert ada.client.post("/settings/ai/freeze", data={}).status_code == 303  # no token: refused, not frozen
    assert ada.api("GET", "/api/v1/ai").json["ai_writes_frozen"] is False
    resp = ada.client.post("/settings/ai/freeze", data={"csrf_token": token})
    assert resp.status_code == 303
    page = ada.client.get("/settings/ai").get_data(as_text=True)
    assert "AI writes are frozen." in page and "Unfreeze AI writes" in page
    write = app.test_client().post("/api/v1/api_call", json={"endpoint": "Orders", "data": {"item": "x"}},
                                   headers=bearer(made["key"]))
    assert write.status_code == 403 and write.json["error"]["code"] == "ai_writes_frozen"
    ada.client.post("/settings/ai/unfreeze", data={"csrf_token": token})
    assert ada.api("GET", "/api/v1/ai").json["ai_writes_frozen"] is False

    resp = ada.client.post(f"/settings/ai/policy/key/{made['id']}", data={
        "csrf_token": token, "access": "read_write", "environments": "sandbox", "endpoint_scope": "chosen",
        "endpoints": [ada.notes.info["id"]]})
    assert resp.status_code == 303
    policy = ada.api("GET", f"/api/v1/ai/keys/{made['id']}/policy").json
    assert (policy["endpoints"], policy["environments"]) == ([ada.notes.info["id"]], "sandbox")
    page = ada.client.get("/settings/ai").get_data(as_text=True)
    assert f'value="{ada.notes.info["id"]}" checked' in page
    listed = app.test_client().get("/api/v1/endpoints", headers=bearer(made["key"])).json["endpoints"]
    assert [e["name"] for e in listed] == ["Notes"]

    ada.client.post(f"/settings/ai/policy/key/{made['id']}", data={
        "csrf_token": token, "access": "read_write", "environments": "both", "endpoint_scope": "all"})
    listed = app.test_client().get("/api/v1/endpoints", headers=bearer(made["key"])).json["endpoints"]
    assert {e["name"] for e in listed} == {"Notes", "Orders"}
    surfaces = {(e["action"], e["surface"]) for e in ada.api("GET", "/api/v1/activity").json["activity"]}
    assert {("ai_freeze", "dashboard"), ("ai_unfreeze", "dashboard"), ("ai_set_key_policy", "dashboard")} <= surfaces
