"""The seed's device login endpoints and the page where a signed-in person approves a code.

`POST /v1/auth/device-code`, `POST /v1/auth/device-code/poll`, `POST /v1/auth/mcp-exchange`
(JSON, the app's error shape) and `/device` (HTML, session and CSRF).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from limits import parse
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from app.auth.actor import READ, WRITE, session_actor
from app.auth.oauth import device
from app.auth.oauth.forms import ApproveDeviceForm
from app.body import json_object
from app.errors import AppError, RateLimited, ValidationFailed
from app.extensions import db, limiter
from app.tools.schemas import validation_details

bp = Blueprint("device", __name__)


class DeviceCodeArgs(Schema):
    class Meta:
        unknown = RAISE

    client_id = fields.String(load_default="mcp-host", validate=validate.Length(min=1, max=128))
    device_code = fields.Raw(load_default=None)  # checked by device.client_device_code


class PollArgs(Schema):
    class Meta:
        unknown = RAISE

    device_code = fields.String(required=True, validate=validate.Length(min=8, max=256))


class ExchangeArgs(Schema):
    """Exactly the seed's request fields."""

    class Meta:
        unknown = RAISE

    session_token = fields.String(required=True, validate=validate.Length(min=8, max=256))
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    label = fields.String(load_default="mcp-connection", validate=validate.Length(min=1, max=80))


def load(schema: Schema) -> dict:
    try:
        return schema.load(json_object())
    except ValidationError as err:
        raise ValidationFailed("Some fields are missing or not valid.", details=validation_details(err)) from None


@bp.post("/v1/auth/device-code")
@limiter.limit(lambda: current_app.config["DEVICE_RATE_LIMIT"])
def device_code():
    args = load(DeviceCodeArgs())
    own = args["device_code"]
    data = device.create("session", args["client_id"], f"{READ} {WRITE}",
                         None if own is None else device.client_device_code(own))
    db.session.commit()
    return jsonify({**data, "verification_url": data["verification_uri_complete"]}), 201


@bp.post("/v1/auth/device-code/poll")
@limiter.limit(lambda: current_app.config["DEVICE_POLL_RATE_LIMIT"])
def device_poll():
    result = device.poll(load(PollArgs())["device_code"])
    db.session.commit()
    return jsonify(result)


def spend_exchange_budget(account_id: str) -> None:
    """Per-account budget of minted keys (on top of the per-IP limit on the endpoint)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    item = parse(current_app.config["MCP_EXCHANGE_RATE_LIMIT"])
    if not limiter.limiter.hit(item, "mcp-exchange", account_id):
        raise RateLimited("Too many MCP keys minted for this account recently; try again later.")


@bp.post("/v1/auth/mcp-exchange")
@limiter.limit(lambda: current_app.config["DEVICE_POLL_RATE_LIMIT"])
def mcp_exchange():
    device.check_exchange_allowed()  # a disabled exchange says so before anything else
    args = load(ExchangeArgs())
    device.check_exchange_allowed(args["client_id"])
    row, account_id = device.session_account(args["session_token"])
    spend_exchange_budget(account_id)
    result = device.exchange(row, args["client_id"], args["label"])
    db.session.commit()
    return jsonify(result)


@bp.route("/device", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["DEVICE_RATE_LIMIT"], methods=["POST"])
def verify():
    actor = session_actor()
    if actor is None:
        return redirect(url_for("accounts.login", next=request.full_path))
    form = ApproveDeviceForm(user_code=request.args.get("user_code", ""))
    pending, done, status = None, None, 200
    if form.user_code.data:
        try:
            pending = device.pending(form.user_code.data)
        except AppError as err:
            form.user_code.errors = [*form.user_code.errors, err.message]
            status = 404 if request.method == "POST" else 200
    if request.method == "POST":
        if not form.validate_on_submit():
            status = 400
        elif pending is not None:
            approve = request.form.get("decision") == "allow"
            device.decide(actor.account_id, form.user_code.data, approve=approve, write=form.access.data == "write")
            db.session.commit()
            done, pending = ("approved" if approve else "denied"), None
    return render_template("oauth/device.html", form=form, pending=pending, done=done), status
