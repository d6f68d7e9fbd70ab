"""On SQLite (the demo), two clients at once never get a 500: transactions take the write lock when they begin
and wait on the busy timeout; a writer still waiting after it gets a 409 like a lock conflict on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings
from django.db import OperationalError

pytestmark = pytest.mark.django_db


def run_scenario(tmp_path, scenario: str) -> list[int]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.hostile.sqlite_contention", str(tmp_path / "demo.sqlite3"), scenario],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = [x for x in done.stdout.splitlines() if x.startswith("statuses=")][-1]
    return [int(s) for s in line.removeprefix("statuses=").split(",")]


def test_two_simultaneous_approvals_give_one_success_and_one_conflict(tmp_path):
    assert run_scenario(tmp_path, "approve") == [200, 409]


def test_the_cockpit_under_two_concurrent_clients_never_fails(tmp_path):
    statuses = run_scenario(tmp_path, "cockpit")

    assert len(statuses) == 10 and set(statuses) == {200}


def test_a_write_that_outwaits_the_busy_timeout_is_a_409_in_the_api(api, item, monkeypatch):
    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("tasks_app.services.loop.access.access_task", locked)
    response = api["dsj_handler"].post(f"/api/tasks/{item.pk}/transitions/submit_completion/", {"summary": "完成"})

    assert response.status_code == 409, response.content.decode()
    assert response.json()["code"] == "conflict"


def test_a_page_that_outwaits_the_busy_timeout_is_a_409_page(browser_as, office_user, monkeypatch):
    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("tasks_app.views.inbox.notification_list", locked)

    response = browser_as(office_user).get("/notifications/")

    assert response.status_code == 409
    assert "请刷新后重试" in response.content.decode()


def test_sqlite_transactions_take_the_write_lock_when_they_begin():
    options = settings.DATABASES["default"].get("OPTIONS", {})
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        assert options["transaction_mode"] == "IMMEDIATE" and options["timeout"] <= 10
