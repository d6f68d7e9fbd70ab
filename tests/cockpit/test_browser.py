"""The cockpit in Chromium: charts drawn, no console error or CSP violation, drill-down to the list, screenshots.

Debian's Chromium (/usr/bin/chromium) through Playwright; never a downloaded browser. Screenshots go
to docs/screenshots/ (normal mode at 1920×1080, large-screen mode at 3840×2160).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import PASSWORD, build_programme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Collects CSP violations from the first script that runs (Playwright injects it outside the page's CSP).
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture
def browser(monkeypatch):
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state()


def open_page(browser, base: str, username: str, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.add_init_script(WATCH_CSP)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    login(page, base, username)
    return page, problems


def charts_drawn(page) -> int:
    page.locator("#chart-dims canvas").first.wait_for(timeout=20_000)  # the last chart drawn
    page.wait_for_timeout(800)  # let the first animation finish before a screenshot
    return page.evaluate(
        "Array.from(document.querySelectorAll('.ck-chart')).filter(el => window.echarts.getInstanceByDom(el)).length"
    )


def listed_rows(page) -> int:
    """Rows of the /tasks/ list, following the pages."""
    total = 0
    while True:
        total += page.locator("table.tasks tbody tr:not(.empty)").count()
        nxt = page.locator("a[rel=next]")
        if not nxt.count():
            return total
        nxt.first.click()
        page.wait_for_load_state()


def test_the_leader_sees_the_cockpit_drills_down_and_it_is_photographed(live_server, browser):
    p = build_programme(600, seed=2026)
    base = live_server.url
    page, problems = open_page(browser, base, p.leader.username, 1920, 1080)
    page.goto(f"{base}/cockpit/")
    assert charts_drawn(page) >= 8
    red = int(page.locator("[data-fig='headline.red'] [data-value]").inner_text().replace(",", ""))
    assert red > 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "cockpit-1920.png"), full_page=True)
    assert page.evaluate("window.__csp") == []
    assert problems == []

    page.click("[data-fig='headline.red']")
    page.wait_for_load_state()
    assert "/tasks/?rag=red" in page.url
    assert listed_rows(page) == red

    # a chart element drills down too: the red segment of the first domain bar
    page.goto(f"{base}/cockpit/")
    charts_drawn(page)
    url = page.evaluate(
        "window.echarts.getInstanceByDom(document.getElementById('chart-domains')).getOption().series[0].data[0].url"
    )
    assert url.startswith("/tasks/?rag=red&leaf=1&domain=")
    assert page.evaluate("window.__csp") == [] and problems == []
    page.context.close()


def test_large_screen_mode_at_4k_without_errors(live_server, browser):
    p = build_programme(600, seed=2027)
    base = live_server.url
    page, problems = open_page(browser, base, p.leader.username, 3840, 2160)
    page.goto(f"{base}/cockpit/?mode=screen")
    assert charts_drawn(page) >= 8
    # one screen: nothing scrolls
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "cockpit-screen-3840.png"))
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.wait_for_timeout(600)
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
    page.screenshot(path=str(SHOTS / "cockpit-screen-1920.png"))
    assert page.evaluate("window.__csp") == []
    assert problems == []
    page.context.close()


def test_the_cockpit_refreshes_from_the_api_without_reloading(live_server, browser):
    p = build_programme(120, seed=5)
    base = live_server.url
    page, problems = open_page(browser, base, p.office.username, 1600, 1000)
    page.goto(f"{base}/cockpit/?refresh=10")
    charts_drawn(page)
    from tasks_app import services
    from tasks_app.models import Task

    task = Task.objects.filter(is_leaf=True, status="in_progress", rag="green").order_by("pk").first()
    before = int(page.locator("[data-fig='listed.count'] [data-value]").inner_text())
    services.notice_issue(actor=p.office, task=task, level=4, reason="挂牌督办：限期办结")
    counter = page.locator("[data-fig='listed.count'] [data-value]")
    for _ in range(50):  # the page refreshes itself every 10 s here
        if counter.inner_text() == str(before + 1):
            break
        page.wait_for_timeout(500)
    assert counter.inner_text() == str(before + 1)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload
    assert problems == [] and page.evaluate("window.__csp") == []
    page.context.close()
