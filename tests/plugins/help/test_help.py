"""The `help` plugin over REST: public, topic index, every topic, unknown topics."""

import pytest

from plugins.help.guide import TOPICS

SPEC_TOPICS = ["getting-started", "endpoints", "fields", "environments", "keys", "data-api", "webhooks",
               "notifications", "logs", "stats", "archives", "collaborators", "plans", "mcp", "oauth", "safety"]


def test_index_lists_every_topic_without_signing_in(client):
    resp = client.get("/api/v1/help")
    assert resp.status_code == 200
    assert resp.json["topic"] is None
    assert [t["name"] for t in resp.json["topics"]] == SPEC_TOPICS
    for name in SPEC_TOPICS:
        assert f"`{name}`" in resp.json["text"]


@pytest.mark.parametrize("topic", SPEC_TOPICS)
def test_each_topic_has_its_text(client, topic):
    resp = client.get("/api/v1/help", query_string={"topic": topic})
    assert resp.status_code == 200
    assert resp.json["topic"] == topic
    assert resp.json["title"] == TOPICS[topic]["title"]
    assert len(resp.json["text"]) > 150
    assert "topics" not in resp.json  # the index comes only when no topic is asked for


@pytest.mark.parametrize("asked,found", [("Data API", "data-api"), ("getting_started", "getting-started"),
                                         (" MCP ", "mcp")])
def test_topic_names_are_forgiving(client, asked, found):
    assert client.get("/api/v1/help", query_string={"topic": asked}).json["topic"] == found


def test_unknown_topic_lists_the_real_ones(client):
    resp = client.get("/api/v1/help", query_string={"topic": "billing"})
    assert resp.status_code == 404
    assert resp.json["error"]["code"] == "unknown_topic"
    assert resp.json["error"]["details"]["topics"] == SPEC_TOPICS


def test_guide_names_every_error_code_of_the_data_plane(client):
    text = client.get("/api/v1/help", query_string={"topic": "data-api"}).json["text"]
    for code in ["invalid_json", "not_an_object", "validation_failed", "invalid_key", "permission_denied",
                 "key_inactive", "endpoint_inactive", "not_deployed", "endpoint_not_found",
                 "record_not_found", "payload_too_large", "unsupported_media_type", "quota_exceeded",
                 "rate_limited"]:
        assert code in text
