"""The dashboard (SPEC section 9): server-rendered pages for everything a person does.

Each page runs the same registry actions as REST and MCP (`app.dashboard.pages.act`). Pages
whose tools a disabled plugin would provide answer 404 `not_enabled`.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from app.dashboard import apis, logs, settings, sharing, help_pages

    for module in (apis, sharing, logs, settings, help_pages):
        app.register_blueprint(module.bp)

    # Other parts (plugins, later issues) add Settings tabs here: (view endpoint, label).
    app.extensions.setdefault("minapi.settings_links", [])

    @app.context_processor
    def settings_links():
        return {"settings_links": app.extensions["minapi.settings_links"]}

    @app.template_filter("when")
    def when(value) -> str:
        """A datetime or ISO string as `YYYY-MM-DD HH:MM UTC`; empty for none."""
        if not value:
            return ""
        text = value if isinstance(value, str) else value.isoformat()
        return text[:16].replace("T", " ") + " UTC"

    @app.template_global()
    def example_body(ep: dict) -> str:
        """A JSON body that passes the endpoint's field definitions, for the curl examples."""
        import json

        fields = ep.get("fields") or ((ep.get("environments") or {}).get("sandbox") or {}).get("fields") or []
        samples = {"string": "text", "number": 1, "boolean": True, "array": [], "object": {}}
        return json.dumps({f["name"]: samples[f["type"]] for f in fields} or {"message": "hello"})
