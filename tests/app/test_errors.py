"""Every error, wherever it comes from, has the SPEC's JSON shape."""

import pytest


def test_unknown_api_path_is_json_404(client):
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404
    assert resp.json["error"]["code"] == "not_found"
    assert set(resp.json["error"]) >= {"code", "message"}


def test_wrong_method_is_json_405_with_allow(client):
    resp = client.put("/api/v1/help", json={})
    assert resp.status_code == 405
    assert resp.json["error"]["code"] == "method_not_allowed"
    assert "GET" in resp.headers["Allow"]


def test_oversized_body_is_json_413(client, app):
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    resp = client.post("/api/v1/help", data=big, content_type="application/json")
    assert resp.status_code in (405, 413)  # method check may come first; both are JSON
    resp = client.post("/login", data=big, content_type="application/x-www-form-urlencoded",
                       headers={"Accept": "application/json"})
    assert resp.status_code == 413
    assert resp.json["error"]["code"] == "payload_too_large"


def test_browser_gets_an_html_error_page(client):
    resp = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert resp.status_code == 404
    assert resp.mimetype == "text/html"
    assert "not_found" in resp.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/v1/help?topic=" + "x" * 60, "/api/v1/help?topic=%00%ff",
                                  "/api/v1/help?unexpected=1"])
def test_odd_query_strings_never_500(client, path):
    resp = client.get(path)
    assert resp.status_code in (400, 404)
    assert resp.json["error"]["code"] in ("validation_failed", "unknown_topic")
