"""Playwright on Debian's Chromium (/usr/bin/chromium; never a downloaded browser) against the live server."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "pw-Strong-2026!"  # tests.factories.UserFactory
# Runs before the page's own scripts (Playwright injects it outside the page's CSP) and records violations.
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture
def browser(monkeypatch):
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        pytest.skip("Debian chromium not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@dataclass
class Session:
    """One user's browser tab, with every console error, page error and CSP violation it met."""

    page: Any
    base: str
    problems: list[str] = field(default_factory=list)

    def go(self, path: str) -> Any:
        response = self.page.goto(self.base + path)
        self.page.wait_for_load_state()
        self.collect_csp()
        return response

    def collect_csp(self) -> None:
        for violation in self.page.evaluate("window.__csp || []"):
            self.problems.append(f"CSP violation: {violation}")
        self.page.evaluate("window.__csp = []")

    def shot(self, name: str, *, width: int | None = None) -> None:
        """Save docs/screenshots/<name>.png, at ``width`` when given (then back to the tab's width)."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        size = self.page.viewport_size
        if width and width != size["width"]:
            self.page.set_viewport_size({"width": width, "height": 900 if width < 600 else 1080})
        self.page.wait_for_timeout(150)
        current = self.page.viewport_size["width"]
        overflow = self.page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= current, f"{name}: the page is {overflow}px wide in a {current}px window"
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        if width and width != size["width"]:
            self.page.set_viewport_size(size)

    def submit(self, selector: str = "main form.action-form button[type=submit]") -> None:
        with self.page.expect_navigation():
            self.page.locator(selector).first.click()
        self.page.wait_for_load_state()
        self.collect_csp()


def open_session(browser: Any, base: str, username: str | None, *, width: int = 1920, language: str = "") -> Session:
    context = browser.new_context(viewport={"width": width, "height": 1080}, locale="zh-CN")
    if language:
        context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.add_init_script(WATCH_CSP)
    session = Session(page=page, base=base)
    page.on("console", lambda m: session.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: session.problems.append(f"page error: {e}"))
    if username:
        session.go("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("main button[type=submit]")
    return session
