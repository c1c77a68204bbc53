"""The seed journeys in a real browser (Chromium through Playwright) against a live server.

A person signs up, creates an endpoint with fields, calls it over HTTP with its sandbox key,
finds the call in the logs page, deploys, makes an MCP key and copies its snippet, invites a
collaborator who accepts and sees the shared endpoint, and runs every destructive action behind
its confirmation, ending with deleting the account. Every page is checked at 390 and 1280 px,
screenshotted, and audited with axe-core (no serious or critical violation).
"""

from __future__ import annotations

import email
import re
from pathlib import Path

import httpx
import pytest

from tests.app.dashboard.browser import AXE_JS, Pages, launch, screenshot_dir
from tests.live import LiveServer, free_port

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery"


@pytest.fixture
def server(make_app):
    port = free_port()
    app = make_app(BASE_URL=f"http://127.0.0.1:{port}", SELF_SERVICE_PLANS=True)
    with LiveServer(app, port) as live:
        yield app, live.url


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


def run_worker(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def invitation_link(app) -> str:
    for path in sorted((Path(app.instance_path) / "outbox").glob("*.eml")):
        body = email.message_from_bytes(path.read_bytes()).get_payload(decode=True).decode()
        found = re.search(r"(http://127\.0\.0\.1:\d+/invitations/\S+)", body)
        if found:
            return found.group(1)
    raise AssertionError("no invitation email in the outbox")


def confirm(page, name: str, fill: dict | None = None):
    """Open a destructive action's confirmation, read what will be lost, fill it in, confirm."""
    box = page.locator(f"#confirm-{name}")
    box.locator("summary").click()
    assert box.locator("p").first.inner_text().strip(), "the confirmation says nothing"
    for selector, value in (fill or {}).items():
        box.locator(selector).fill(value)
    box.locator("button[type=submit]").click()
    page.wait_for_load_state("load")


def flash(page) -> str:
    return page.locator(".flash").first.inner_text()


def sign_up(page, url, email_address, name):
    page.goto(f"{url}/signup")
    page.fill("#email", email_address)
    page.fill("#display_name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def test_seed_journeys_in_chromium(server, browser, tmp_path_factory):
    if not AXE_JS.exists():
        pytest.skip(f"axe-core is not installed ({AXE_JS}; npm install axe-core, or .ci/browser)")
    app, url = server
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    page = context.new_page()
    pages = Pages(page, screenshot_dir(tmp_path_factory))

    # Sign up, land on APIs, create an endpoint with two fields (the second row added by the editor).
    page.goto(f"{url}/login")
    pages.check("login")
    sign_up(page, url, "ada@example.com", "Ada")
    assert page.locator("h1").inner_text() == "APIs"
    pages.check("apis-empty")
    page.fill("#name", "Orders")
    page.fill("#fields-0-name", "item")
    page.check("input[name=fields-0-required]")
    page.check("input[name=fields-0-searchable]")
    page.click("button.add-field")
    page.fill("#fields-1-name", "qty")
    page.select_option("#fields-1-type", "number")
    page.click("#create button[type=submit]")
    page.wait_for_load_state("load")
    sandbox = page.locator("#sandbox-key").inner_text()
    assert sandbox.startswith("tm_test_")
    pages.check("endpoint-created")
    page.locator("#new-owner-keys button.copy").first.click()
    assert page.evaluate("navigator.clipboard.readText()") == sandbox
    slug = page.locator("form[action$='/deploy']").get_attribute("action").split("/")[2]

    # A sandbox record over HTTP with that key, then the call in the logs page.
    data_url = f"{url}/api/v1/data/{slug}"
    made = httpx.post(data_url, json={"item": "blue widget", "qty": 3}, headers={"Authorization": f"Bearer {sandbox}"})
    assert made.status_code == 201, made.text
    page.goto(f"{url}/apis/{slug}/logs")
    page.fill("#q", "widget")
    page.click("#log-search button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator("#logs tbody tr").count() == 1
    pages.check("logs")
    page.locator("#logs tbody a").first.click()
    page.wait_for_load_state("load")
    assert "blue widget" in page.locator("#payload").inner_text()
    pages.check("log-detail")

    # Deploy, then a production call with a fresh production key (regenerated behind its confirmation).
    page.goto(f"{url}/apis/{slug}")
    assert page.locator("#deploy-changes li").count() >= 1
    page.click("#deploy button[type=submit]")
    page.wait_for_load_state("load")
    assert "Deployed" in flash(page)
    confirm(page, "regenerate")
    live = page.locator("#production-key").inner_text()
    assert live.startswith("tm_live_")
    assert httpx.post(data_url, json={"item": "x"}, headers={"Authorization": f"Bearer {sandbox}"}).status_code == 401
    assert httpx.post(data_url, json={"item": "old call", "qty": 1},
                      headers={"Authorization": f"Bearer {live}"}).status_code == 201
    pages.check("endpoint-detail")

    # Statistics: the chart with a bar for today.
    page.goto(f"{url}/apis/{slug}/stats")
    assert page.locator("#daily-chart rect.ok").count() >= 1
    pages.check("stats")

    # Settings → AI integration → CLI / IDE: Generate MCP API Key, copy the .mcp.json snippet.
    page.click(".account-menu summary")
    page.click(".account-menu >> text=AI integration")
    page.wait_for_load_state("load")
    pages.check("settings-ai-claude")
    page.click("#tab-chatgpt")
    pages.check("settings-ai-chatgpt")
    page.click("#tab-cli")
    page.fill("#label", "Claude Code")
    page.click("text=Generate MCP API Key")
    page.wait_for_load_state("load")
    mcp_key = page.locator("#new-key code").inner_text()
    assert mcp_key.startswith("tm_mcp_")
    page.locator("#mcp-json + button.copy").click()
    snippet = page.evaluate("navigator.clipboard.readText()")
    assert f'"x-api-key": "{mcp_key}"' in snippet and f"{url}/api/mcp" in snippet
    assert f'--header "x-api-key: {mcp_key}"' in page.locator("#claude-cli").inner_text()
    pages.check("settings-ai-cli-new-key")
    listed = httpx.get(f"{url}/api/v1/endpoints", headers={"x-api-key": mcp_key})
    assert listed.status_code == 200 and listed.json()["endpoints"][0]["slug"] == slug

    # Collaboration keys and an invitation; bob accepts and sees the shared endpoint.
    page.goto(f"{url}/apis/{slug}/keys")
    page.fill("#key-name", "partner")
    page.check("#create-key input[name=create]")
    page.click("#create-key button[type=submit]")
    page.wait_for_load_state("load")
    partner = page.locator("#collab-sandbox-key").inner_text()
    assert partner.startswith("tm_test_")
    pages.check("collaboration-keys")
    assert httpx.post(data_url, json={"item": "from partner"},
                      headers={"Authorization": f"Bearer {partner}"}).status_code == 201
    page.goto(f"{url}/apis/{slug}/collaborators")
    page.fill("#invite-email", "bob@example.com")
    page.click("#invite button[type=submit]")
    page.wait_for_load_state("load")
    assert "bob@example.com" in page.locator("#invitations").inner_text()
    pages.check("collaborators")
    run_worker(app)
    link = invitation_link(app)

    bob_context = browser.new_context()
    bob = bob_context.new_page()
    bob_pages = Pages(bob, pages.shots)
    bob.goto(link)
    bob.get_by_role("link", name="Sign up", exact=True).click()
    bob.wait_for_load_state("load")
    bob.fill("#email", "bob@example.com")
    bob.fill("#display_name", "Bob")
    bob.fill("#password", PASSWORD)
    bob.click("button[type=submit]")
    bob.wait_for_load_state("load")
    bob.click("text=Accept the invitation")
    bob.wait_for_load_state("load")
    assert "Orders" in bob.locator("#endpoints").inner_text() and "shared" in bob.locator("#endpoints").inner_text()
    bob_pages.check("apis-shared")
    bob.click("#endpoints >> text=Orders")
    bob.wait_for_load_state("load")
    assert "create (POST)" in bob.locator("#shared-key").inner_text()
    assert bob.locator("#danger").count() == 0 and bob.locator("text=Collaboration keys").count() == 0
    bob_pages.check("endpoint-shared")
    bob.goto(f"{url}/apis/{slug}/logs")
    rows = bob.locator("#logs tbody tr")
    assert rows.count() == 1 and "partner" in rows.first.inner_text()  # only his key's calls
    bob_pages.check("logs-shared")
    assert bob.goto(f"{url}/apis/{slug}/keys").status in (403, 404)

    # Collaboration key: deactivate, activate, regenerate; revoke the invitation; delete the key.
    page.goto(f"{url}/apis/{slug}/keys")
    confirm(page, "deactivate-partner")
    assert "inactive" in page.locator("#key-partner").inner_text()
    assert httpx.get(data_url, headers={"Authorization": f"Bearer {partner}"}).json()["error"]["code"] == "key_inactive"
    page.locator("#key-partner button:has-text('Activate')").click()
    page.wait_for_load_state("load")
    confirm(page, "regenerate-partner")
    assert page.locator("#collab-sandbox-key").inner_text() != partner
    assert httpx.get(data_url, headers={"Authorization": f"Bearer {partner}"}).status_code == 401
    page.goto(f"{url}/apis/{slug}/collaborators")
    confirm(page, "revoke-1")
    assert "revoked" in page.locator("#invitations").inner_text()
    bob.goto(url + "/")
    assert "Orders" not in bob.locator("#endpoints").inner_text()
    page.goto(f"{url}/apis/{slug}/keys")
    confirm(page, "delete-partner")
    assert page.locator("#key-partner").count() == 0

    # Archives: a production call from 40 days ago is archived; download it, then delete the file.
    from app.gateway.models import CallLog
    from tests.log_helpers import backdate, days_ago

    with app.app_context():
        from app.extensions import db

        old = db.session.scalars(db.select(CallLog.id).where(CallLog.environment == "production")).all()
    backdate(app, CallLog, old, created_at=days_ago(40, hour=12), processed_at=days_ago(40, hour=12))
    assert app.test_cli_runner().invoke(args=["archive", "run"]).exit_code == 0
    page.goto(f"{url}/apis/{slug}/archives")
    day = days_ago(40).date().isoformat()
    assert page.locator(f"#day-{day}").count() == 1
    pages.check("archives")
    with page.expect_download() as download:
        page.locator(f"#day-{day} a:has-text('.csv')").click()
    assert "old call" in Path(download.value.path()).read_text()
    confirm(page, f"delete-{day}")
    assert page.locator(f"#day-{day}").count() == 0

    # Owner keys, sandbox data, the endpoint itself.
    page.goto(f"{url}/apis/{slug}")
    confirm(page, "clear")
    assert "records deleted" in flash(page)
    confirm(page, "delete", {"input[name=confirm_name]": "orders"})  # wrong name: nothing deleted
    assert "Type the endpoint's name" in page.locator("#danger").inner_text()

    # Subscription (self-service on): change plan, then cancel.
    page.goto(f"{url}/settings/subscription")
    pages.check("settings-subscription")
    box = page.locator("#confirm-change-plan")
    box.locator("summary").click()
    box.locator("select").select_option("pro")
    box.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    assert "pro" in flash(page)
    confirm(page, "cancel-plan")
    assert "free" in flash(page)

    # MCP key: regenerate (the old value stops working), then delete.
    page.goto(f"{url}/settings/ai?tab=cli")
    confirm(page, "regenerate-1")
    new_mcp = page.locator("#new-key code").inner_text()
    assert httpx.get(f"{url}/api/v1/endpoints", headers={"x-api-key": mcp_key}).status_code == 401
    assert httpx.get(f"{url}/api/v1/endpoints", headers={"x-api-key": new_mcp}).status_code == 200
    confirm(page, "delete-1")
    assert httpx.get(f"{url}/api/v1/endpoints", headers={"x-api-key": new_mcp}).status_code == 401

    page.goto(f"{url}/apis/{slug}")
    confirm(page, "delete", {"input[name=confirm_name]": "Orders"})
    assert "was deleted" in flash(page) and "No endpoints yet" in page.locator("#endpoints").inner_text()

    # Help pages, profile, and last of all the account.
    page.goto(f"{url}/help")
    pages.check("help")
    page.locator("#topics a").first.click()
    page.wait_for_load_state("load")
    pages.check("help-topic")
    page.goto(f"{url}/settings/profile")
    pages.check("settings-profile")
    confirm(page, "delete-account", {"#delete-password": "wrong password"})
    assert "not right" in page.locator("#delete-account").inner_text()
    confirm(page, "delete-account", {"#delete-password": PASSWORD})
    assert "/login" in page.url and "deleted" in flash(page)
    page.goto(f"{url}/login")
    page.fill("#email", "ada@example.com")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    assert "Wrong email or password" in page.locator("main").inner_text()

    bob_context.close()
    context.close()
    serious = pages.violations + bob_pages.violations
    assert not serious, serious
