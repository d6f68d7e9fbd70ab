"""Mixed traffic by role against a running instance (``make prod-local``) seeded by ``seed_scale``.

Run headless and bounded, loopback only (``benchmarks/load.sh`` does all of this and checks the writes)::

    .venv/bin/locust -f benchmarks/locustfile.py --headless -u 200 -r 20 -t 3m \
        --host http://127.0.0.1:8001 --csv var/load/locust

Who does what (weights are users of each kind; seeded accounts, password ``DEMO_PASSWORD``):

- leaders (``scale_leader``): the cockpit page and its API, red-light task lists, task detail;
- the supervision office (``scale_office``): filtered task lists, task detail, the reports page,
  a 任务档案 (dossier) report request now and then, and 交办 (assign) of draft items;
- unit handlers (``scale_cNN_handler``, 11 cities): their task list, task detail, a ten-day report
  (旬报) with a PDF attachment on an item in progress, and 签收 (accept) of an assigned item.

Every write is counted by kind when sent (``<kind>.sent``) and when the server answered 2xx
(``<kind>``), written as JSON to ``LOCUST_WRITES`` when the run stops, so the driver can check the
rows in the database: no fewer than acknowledged ("no lost write"), no more than sent.
Ten-day reports carry ``LOCUST_RUN`` in their text so they can be found.
"""

from __future__ import annotations

import json
import os
import random
import threading
from collections import Counter
from typing import Any

from locust import HttpUser, between, events, task
from requests.cookies import RequestsCookieJar

PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-pass-2026")
RUN_ID = os.environ.get("LOCUST_RUN", "locust")
WRITES_FILE = os.environ.get("LOCUST_WRITES", "")
CITIES = int(os.environ.get("LOCUST_CITIES", "11"))
ATTACHMENT = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class BehindTlsProxy(RequestsCookieJar):
    """Keep the Secure session and CSRF cookies for the loopback's plain HTTP, as nginx's TLS would carry them."""

    def set_cookie(self, cookie, *args, **kwargs):  # type: ignore[no-untyped-def]
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


writes: Counter[str] = Counter()
writes_lock = threading.Lock()


def count_write(kind: str) -> None:
    with writes_lock:
        writes[kind] += 1


@events.quitting.add_listener
def _save_writes(environment: Any, **_kwargs: Any) -> None:
    if WRITES_FILE:
        with open(WRITES_FILE, "w", encoding="utf-8") as handle:
            json.dump(dict(writes), handle)


class RoleUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    username = ""

    def on_start(self) -> None:
        # Production settings expect TLS at the proxy (secure cookies, HTTPS referers for CSRF): say it is there.
        self.client.cookies = BehindTlsProxy()
        self.client.headers["X-Forwarded-Proto"] = "https"
        self.origin = (self.host or "").replace("http://", "https://", 1)
        self.client.get("/accounts/login/", name="/accounts/login/")
        token = self.client.cookies.get("csrftoken", "")
        with self.client.post(
            "/accounts/login/",
            data={"username": self.pick_username(), "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.origin}/accounts/login/"},
            name="/accounts/login/ [POST]",
            catch_response=True,
        ) as resp:
            if "sessionid" not in self.client.cookies:
                resp.failure(f"login failed for {self.username} ({resp.status_code})")
        self.ids: dict[str, list[int]] = {}

    def pick_username(self) -> str:
        return self.username

    @property
    def csrf_headers(self) -> dict[str, str]:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", ""), "Referer": f"{self.origin}/"}

    def task_ids(self, query: str, refresh: bool = False) -> list[int]:
        """Ids of visible tasks matching an API filter (first page of 200), cached per user."""
        if refresh or query not in self.ids:
            resp = self.client.get(f"/api/tasks/?{query}&page_size=200", name=f"/api/tasks/?{query.split('&')[0]}")
            results = resp.json().get("results", []) if resp.ok else []
            self.ids[query] = [row["id"] for row in results]
        return self.ids[query]

    def open_detail(self, query: str = "rag=red") -> int | None:
        ids = self.task_ids(query)
        if not ids:
            return None
        task_id = random.choice(ids)
        self.client.get(f"/tasks/{task_id}/", name="/tasks/[id]/")
        return task_id

    def transition(self, name: str, query: str) -> None:
        """Fire ``name`` on one task from the list; a task someone else moved first (409) is expected."""
        ids = self.task_ids(query)
        if not ids:
            ids = self.task_ids(query, refresh=True)
            if not ids:
                return
        task_id = ids.pop(random.randrange(len(ids)))
        count_write(f"transition.{name}.sent")
        with self.client.post(
            f"/api/tasks/{task_id}/transitions/{name}/",
            json={},
            headers=self.csrf_headers,
            name=f"/api/tasks/[id]/transitions/{name}/",
            catch_response=True,
        ) as resp:
            if resp.status_code == 200:
                count_write(f"transition.{name}")
            elif resp.status_code == 409:
                resp.success()  # another user (sharing the account) took it first: the right answer
            else:
                resp.failure(f"{resp.status_code}: {resp.text[:200]}")


class Leader(RoleUser):
    weight = 2
    username = "scale_leader"

    @task(4)
    def cockpit_page(self) -> None:
        self.client.get("/cockpit/")

    @task(4)
    def cockpit_api(self) -> None:
        self.client.get("/api/cockpit/")

    @task(3)
    def red_tasks(self) -> None:
        self.client.get("/tasks/?rag=red", name="/tasks/?rag=red")

    @task(2)
    def detail(self) -> None:
        self.open_detail("rag=red")


class Office(RoleUser):
    weight = 3
    username = "scale_office"

    @task(4)
    def filtered_list(self) -> None:
        query = random.choice(["rag=red&overdue=true", "rag=yellow", "status=in_progress&rag=red", "overdue=true"])
        self.client.get(f"/tasks/?{query}", name=f"/tasks/?{query}")

    @task(3)
    def detail(self) -> None:
        self.open_detail("overdue=true")

    @task(2)
    def cockpit_api(self) -> None:
        self.client.get("/api/cockpit/")

    @task(2)
    def reports_page(self) -> None:
        self.client.get("/reports/")

    @task(1)
    def request_dossier(self) -> None:
        resp = self.client.get("/api/tasks/?rag=red&page_size=50", name="/api/tasks/?rag")
        rows = resp.json().get("results", []) if resp.ok else []
        if not rows:
            return
        count_write("report.request.sent")
        with self.client.post(
            "/reports/",
            data={
                "kind": "dossier",
                "scope": "programme",
                "task": random.choice(rows)["code"],
                "period": "",
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            headers={"Referer": f"{self.origin}/reports/"},
            name="/reports/ [POST dossier]",
            allow_redirects=False,
            catch_response=True,
        ) as post:
            if post.status_code in (302, 303):
                count_write("report.request")
            else:
                post.failure(f"{post.status_code}: {post.text[:200]}")

    @task(2)
    def assign(self) -> None:
        self.transition("assign", "status=draft")


class Handler(RoleUser):
    weight = 15

    def pick_username(self) -> str:
        self.username = f"scale_c{random.randrange(CITIES):02d}_handler"
        return self.username

    @task(4)
    def my_tasks(self) -> None:
        query = random.choice(["", "rag=red", "status=in_progress", "overdue=true"])
        self.client.get(f"/tasks/?{query}", name=f"/tasks/?{query or '(all)'}")

    @task(3)
    def detail(self) -> None:
        self.open_detail("status=in_progress")

    @task(2)
    def tenday_report(self) -> None:
        ids = self.task_ids("status=in_progress")
        if not ids:
            return
        task_id = random.choice(ids)
        resp = self.client.get(f"/api/tasks/{task_id}/", name="/api/tasks/[id]/")
        if not resp.ok:
            return
        progress = float(resp.json().get("progress") or 0)
        count_write("feedback.sent")
        with self.client.post(
            f"/api/tasks/{task_id}/feedback/",
            data={
                "text": f"{RUN_ID} 本旬完成数据归集与接口联调，推进顺利。",
                "progress": f"{min(100.0, progress + random.choice([0, 1, 2])):.2f}",
                "kind": "tenday",
            },
            files={"files": ("旬报附件.pdf", ATTACHMENT, "application/pdf")},
            headers=self.csrf_headers,
            name="/api/tasks/[id]/feedback/ [POST]",
            catch_response=True,
        ) as post:
            if post.status_code == 201:
                count_write("feedback")
            elif post.status_code == 409:
                post.success()  # the item moved on meanwhile (closed, or progress changed under us)
            else:
                post.failure(f"{post.status_code}: {post.text[:200]}")

    @task(1)
    def accept(self) -> None:
        self.transition("accept", "status=assigned")
