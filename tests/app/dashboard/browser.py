"""Chromium driven by Playwright for the dashboard tests: launching, page checks, screenshots, axe-core.

Debian's `/usr/bin/chromium` is used (never `playwright install`); tests skip when it or
Playwright is missing. axe-core comes from npm (`.ci/browser` installs it into `.cache/axe`,
or `MINAPI_AXE_JS` names axe.min.js). Screenshots go to `$MINAPI_SCREENSHOTS` (else a temp folder).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = os.environ.get("MINAPI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
AXE_JS = Path(os.environ.get("MINAPI_AXE_JS") or ROOT / ".cache/axe/node_modules/axe-core/axe.min.js")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
WIDTHS = (390, 1280)


def launch(playwright):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)


class Pages:
    """Visits pages the way a person does, and checks each one: it fits at 390 px, axe-core finds
    no serious or critical violation, and a screenshot at each width is written."""

    def __init__(self, page, shots: Path):
        self.page, self.shots, self.violations, self.seen = page, shots, [], []
        self.axe = AXE_JS.read_text() if AXE_JS.exists() else None

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width + 1, f"{name} is {overflow} px wide at {width} px"
            page.screenshot(path=str(self.shots / f"{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        if self.axe:
            page.evaluate(self.axe)
            found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
                .violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))""")
            self.violations += [{"page": name, **v} for v in found]
        self.seen.append(name)


def screenshot_dir(tmp_path_factory) -> Path:
    folder = os.environ.get("MINAPI_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path
