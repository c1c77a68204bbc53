"""Dashboard page `/settings/ai`: MCP keys (create, regenerate, delete) and the config snippets."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from app.auth import mcp_keys
from app.auth.actor import session_actor
from app.errors import AppError
from app.extensions import db

bp = Blueprint("settings", __name__, url_prefix="/settings")


class CreateKeyForm(FlaskForm):
    label = StringField("Label", default="Claude Code", validators=[Length(min=1, max=100)])
    read_only = BooleanField("Read-only (mcp:read)")


class ConfirmForm(FlaskForm):
    """CSRF token only."""


def snippets(key: str) -> dict:
    url = current_app.config["BASE_URL"] + "/api/mcp"
    mcp_json = {"mcpServers": {"minapi": {"type": "http", "url": url, "headers": {"x-api-key": key}}}}
    return {"mcp_json": json.dumps(mcp_json, indent=2),
            "claude_cli": f'claude mcp add --transport http minapi {url} --header "x-api-key: {key}"'}


def require_person():
    actor = session_actor()
    if actor is None:
        return None, redirect(url_for("accounts.login", next=url_for("settings.ai")))
    return actor, None


def render_page(actor, *, new_key=None, new_plaintext=None, form=None, status=200):
    return render_template("settings/ai.html", keys=mcp_keys.list_for(actor.account_id),
                           form=form or CreateKeyForm(), confirm=ConfirmForm(), new_key=new_key,
                           snippet=snippets(new_plaintext or "tm_mcp_…"), new_plaintext=new_plaintext,
                           extra_sections=current_app.extensions.get("minapi.settings_ai_sections", [])), status


@bp.get("/ai")
def ai():
    actor, redirect_to = require_person()
    return redirect_to or render_page(actor)


@bp.post("/ai/keys")
def create_key():
    actor, redirect_to = require_person()
    if redirect_to:
        return redirect_to
    form = CreateKeyForm()
    if not form.validate_on_submit():
        return render_page(actor, form=form, status=400)
    try:
        key, plaintext = mcp_keys.create(actor.account_id, form.label.data, read_only=form.read_only.data)
        db.session.commit()
    except AppError as err:
        db.session.rollback()
        form.label.errors = [err.message]
        return render_page(actor, form=form, status=err.status)
    # Rendered, not redirected: the key must never pass through the (signed, not encrypted) session cookie.
    return render_page(actor, new_key=key, new_plaintext=plaintext)


@bp.post("/ai/keys/<key_id>/regenerate")
def regenerate_key(key_id):
    actor, redirect_to = require_person()
    if redirect_to:
        return redirect_to
    if not ConfirmForm().validate_on_submit():
        return render_page(actor, status=400)
    key, plaintext = mcp_keys.regenerate(actor.account_id, key_id)
    db.session.commit()
    return render_page(actor, new_key=key, new_plaintext=plaintext)


@bp.post("/ai/keys/<key_id>/delete")
def delete_key(key_id):
    actor, redirect_to = require_person()
    if redirect_to:
        return redirect_to
    if not ConfirmForm().validate_on_submit():
        return render_page(actor, status=400)
    mcp_keys.delete(actor.account_id, key_id)
    db.session.commit()
    flash("Key deleted. Tools that used it have lost access.")
    return redirect(url_for("settings.ai"))
