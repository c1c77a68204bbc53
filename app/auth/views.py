"""Settings → AI integration (`/settings/ai`): the Claude, ChatGPT and CLI / IDE tabs, MCP keys
(Generate, Regenerate, Delete through the `mcp_keys` actions) and the sections other parts add.

Other parts add a section below the tabs by appending a template name to
`app.extensions["minapi.settings_ai_sections"]` (the connected AI clients are one).
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from app.dashboard.pages import act, page, person_required, run

bp = Blueprint("settings", __name__, url_prefix="/settings")
TABS = {"claude": "Claude", "chatgpt": "ChatGPT", "cli": "CLI / IDE"}


class CreateKeyForm(FlaskForm):
    label = StringField("Label", default="Claude Code", validators=[Length(min=1, max=100)])
    read_only = BooleanField("Read-only (mcp:read)")


def snippets(key: str) -> dict:
    url = current_app.config["BASE_URL"] + "/api/mcp"
    mcp_json = {"mcpServers": {"minapi": {"type": "http", "url": url, "headers": {"x-api-key": key}}}}
    return {"mcp_json": json.dumps(mcp_json, indent=2),
            "claude_cli": f'claude mcp add --transport http minapi {url} --header "x-api-key: {key}"'}


def render_page(*, new_key=None, form=None, errors=None, status=200, tab=None):
    tab = tab or request.args.get("tab") or ("cli" if new_key or errors else "claude")
    return page("settings/ai.html", status, keys=run("mcp_keys_list", {})["keys"], form=form or CreateKeyForm(),
                new_key=new_key, config_snippet=snippets(new_key["key"] if new_key else "tm_mcp_…"),
                new_plaintext=new_key["key"] if new_key else None, tabs=TABS,
                tab=tab if tab in TABS else "claude", errors=errors or {},
                connector_url=current_app.config["BASE_URL"] + "/api/mcp",
                extra_sections=current_app.extensions.get("minapi.settings_ai_sections", []))


@bp.get("/ai")
@person_required
def ai():
    return render_page()


@bp.post("/ai/keys")
@person_required
def create_key():
    form = CreateKeyForm()
    key, err = act("mcp_keys_create", {"label": form.label.data or "", "read_only": bool(form.read_only.data)})
    if err:
        form.label.errors = [err.message]
        return render_page(form=form, errors={"create": err}, status=err.status)
    # Rendered, not redirected: the key must never pass through the (signed, not encrypted) session cookie.
    return render_page(new_key=key)


@bp.post("/ai/keys/<key_id>/regenerate")
@person_required
def regenerate_key(key_id):
    key, err = act("mcp_keys_regenerate", {"key_id": key_id})
    if err:
        return render_page(errors={f"key-{key_id}": err}, status=err.status)
    return render_page(new_key=key)


@bp.post("/ai/keys/<key_id>/delete")
@person_required
def delete_key(key_id):
    _, err = act("mcp_keys_delete", {"key_id": key_id})
    if err:
        return render_page(errors={f"key-{key_id}": err}, status=err.status)
    flash("Key deleted. Tools that used it have lost access.")
    return redirect(url_for("settings.ai", tab="cli"))
