"""The `help` action and its schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.plugin import NotFound
from app.plugin import current_actor
from app.plugin import is_frozen
from plugins.help.guide import TOPICS


class HelpArgs(Schema):
    topic = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50),
                          metadata={"description": "A topic name; leave out to get the list of topics."})


class TopicSchema(Schema):
    name = fields.String(required=True)
    summary = fields.String(required=True)


class HelpResult(Schema):
    topic = fields.String(allow_none=True, metadata={"description": "The topic shown, or null for the index."})
    title = fields.String(required=True)
    text = fields.String(required=True, metadata={"description": "Markdown."})
    topics = fields.List(fields.Nested(TopicSchema),
                         metadata={"description": "Only without a topic: every topic, to ask for next."})
    ai_writes_frozen = fields.Boolean(required=True, metadata={"description": "true: a person froze AI writes "
                                                                             "on your account; only reads work."})


FROZEN_NOTE = ("**AI writes are frozen on this account.** A person turned the switch on in Settings → AI "
               "integration: write tools answer `ai_writes_frozen` until they lift it; reads work.\n\n")


def with_freeze(answer: dict) -> dict:
    """Say so first when the caller's account has AI writes frozen."""
    actor = current_actor(required=False)
    frozen = actor is not None and is_frozen(actor.account_id)
    return {**answer, "text": (FROZEN_NOTE if frozen else "") + answer["text"], "ai_writes_frozen": frozen}


def help(topic: str | None = None) -> dict:
    """Explain how minapi works: endpoints, keys, the data API, webhooks, logs, plans, MCP and OAuth.

    Use it when the user asks how something in minapi works or what a term means. Without `topic`
    it returns the list of topics; with one, that topic's title and Markdown text (an unknown
    topic's error lists the names). Also says whether AI writes are frozen.
    """
    index = [{"name": name, "summary": t["summary"]} for name, t in TOPICS.items()]
    if not topic:
        lines = [f"- `{t['name']}`: {t['summary']}" for t in index]
        return with_freeze({"topic": None, "title": "minapi guide: topics",
                            "text": "Ask for one of these topics:\n\n" + "\n".join(lines), "topics": index})
    key = topic.strip().lower().replace(" ", "-").replace("_", "-")
    if key not in TOPICS:
        raise NotFound(f"There is no help topic {topic!r}.", code="unknown_topic",
                       details={"topics": list(TOPICS)})
    entry = TOPICS[key]
    return with_freeze({"topic": key, "title": entry["title"], "text": entry["text"].strip()})
