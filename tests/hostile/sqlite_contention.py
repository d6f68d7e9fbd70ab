"""Run as a script against a fresh SQLite file (the demo's database): two clients at once, print the statuses.

``python -m tests.hostile.sqlite_contention <db file> approve|cockpit``. Each scenario starts its clients
together (a barrier) on their own threads and connections, as two browsers would, and prints
``statuses=<comma-separated HTTP statuses>``.
"""

from __future__ import annotations

import os
import sys
import threading

os.environ["DATABASE_URL"] = f"sqlite:///{sys.argv[1]}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reform.settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.services import token_issue  # noqa: E402
from tasks_app.bootstrap import ensure_reference_data  # noqa: E402
from tasks_app.workflow import Status  # noqa: E402
from tests.factories import Role, make_task, make_unit, make_user  # noqa: E402
from tests.tasks_app.workflow_helpers import drive  # noqa: E402


def clients_at_once(requests: list[tuple[str, str, dict]], token: str, rounds: int = 1) -> list[int]:
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(requests))

    def run(method: str, url: str, body: dict) -> None:
        client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token}")
        try:
            for _ in range(rounds):
                barrier.wait(timeout=30)
                response = getattr(client, method)(url, body, content_type="application/json")
                with lock:
                    statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=r) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def main() -> None:
    scenario = sys.argv[2]
    call_command("migrate", verbosity=0)
    ensure_reference_data()
    city = make_unit("市政府", level="city")
    dsj = make_unit("市大数据局", parent=city)
    office = make_user(Role.OFFICE, unit=city, username="office")
    handler = make_user(Role.UNIT_HANDLER, unit=dsj, username="handler")
    task = drive(make_task("1", lead_unit=dsj), Status.UNDER_REVIEW, office=office, unit_user=handler)
    token = token_issue(user=office)
    connection.close()
    if scenario == "approve":
        url = f"/api/tasks/{task.pk}/transitions/approve/"
        statuses = clients_at_once([("post", url, {}), ("post", url, {})], token)
    else:
        url = "/api/cockpit/"
        statuses = clients_at_once([("get", url, {}), ("get", url, {})], token, rounds=5)
    print("statuses=" + ",".join(str(s) for s in sorted(statuses)))


if __name__ == "__main__":
    main()
