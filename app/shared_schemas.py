"""Shared marshmallow fields and schemas of the actions (endpoint reference, environment, page arguments,
field definitions, webhooks, permissions); plugins reach them through `app.plugin`."""

from __future__ import annotations


from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.formats import HEADER_NAME, is_http_url
from app.gateway.fields import TYPES

def environment():
    return fields.String(load_default="sandbox", validate=validate.OneOf(["sandbox", "production"]),
                         metadata={"description": "sandbox (default) or production."})


def endpoint_ref(**kw):
    return fields.String(required=True, validate=validate.Length(min=1, max=120),
                         metadata={"description": "Its id (ep_…), slug or name."}, **kw)


def http_url(value: str) -> None:
    if not is_http_url(value):
        raise ValidationError("must be an absolute http:// or https:// URL")


class FieldDef(Schema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$",
                                                                 error="1-64 letters, digits, _ or -"))
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    required = fields.Boolean(load_default=False)
    searchable = fields.Boolean(load_default=False, metadata={"description": "Strings only: weigh in search."})

    @validates_schema
    def searchable_strings(self, data, **kw):
        if data.get("searchable") and data.get("type") != "string":
            raise ValidationError("only string fields can be searchable", "searchable")


def field_list():
    def unique(items):
        names = [f["name"] for f in items]
        if len(names) != len(set(names)):
            raise ValidationError("field names must be unique")

    return fields.List(fields.Nested(FieldDef), validate=[validate.Length(max=50), unique],
                       metadata={"description": "Field definitions; none means any JSON object is accepted."})


class Webhook(Schema):
    url = fields.String(required=True, validate=[validate.Length(max=2000), http_url])
    auth_header = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(HEADER_NAME))
    auth_value = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class Notifications(Schema):
    on_failed_call = fields.Boolean()
    on_failed_webhook = fields.Boolean()
    email = fields.Email(allow_none=True)
    slack_url = fields.String(allow_none=True, validate=[validate.Length(max=2000), http_url])
    discord_url = fields.String(allow_none=True, validate=[validate.Length(max=2000), http_url])
    telegram_bot_token = fields.String(allow_none=True, validate=validate.Length(max=200))
    telegram_chat_id = fields.String(allow_none=True, validate=validate.Length(max=100))


class Permissions(Schema):
    create = fields.Boolean(required=True)
    read = fields.Boolean(required=True)
    update = fields.Boolean(required=True)
    delete = fields.Boolean(required=True)


class NoArgs(Schema):
    """The arguments of an action that takes none."""


class Page(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
