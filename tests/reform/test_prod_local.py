"""`make prod-local` end to end: gunicorn, worker and beat under production settings, then stopped."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "prod-local.sh"
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline:
                found.append(f"{entry.name}: {cmdline}")
    return found


@pytest.fixture
def fresh_database():
    """A new, empty PostgreSQL database next to the one the test run uses; dropped afterwards."""
    url = urlsplit(os.environ["DATABASE_URL"])
    name = f"reform_prodlocal_{os.getpid()}_{int(time.time())}"
    params = {"host": url.hostname, "port": url.port or 5432, "user": url.username or "postgres"}
    if url.password:
        params["password"] = url.password
    yield urlunsplit(url._replace(path=f"/{name}"))
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_prod_local_serves_the_app_and_stops_cleanly(tmp_path, fresh_database):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DATABASE_REPLICA_URL", "ALLOWED_HOSTS"}
    }
    env.update(
        PORT=str(port),
        DATABASE_URL=fresh_database,
        PROD_LOCAL_DIR=str(tmp_path / "run"),
        STATIC_ROOT=str(tmp_path / "static"),
        CELERY_TASK_DEFAULT_QUEUE=f"prod-local-test-{port}",
        PROD_LOCAL_TAIL="0",
    )
    output = (tmp_path / "prod-local.out").open("w")
    script = subprocess.Popen(
        ["bash", str(SCRIPT)], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Given the stack started against an empty database
        deadline = time.monotonic() + START_TIMEOUT
        status = None
        while time.monotonic() < deadline and script.poll() is None:
            try:
                status, _, body = get(f"{base}/readyz")
            except OSError:
                status = None
            if status == 200:
                break
            time.sleep(0.5)
        log = (tmp_path / "prod-local.out").read_text()
        assert status == 200, f"/readyz never answered 200 within {START_TIMEOUT:.0f} s:\n{log}"
        assert "created database" in log
        pids = {name: int((tmp_path / "run" / f"{name}.pid").read_text()) for name in ("web", "worker", "beat")}
        assert all(alive(pid) for pid in pids.values())

        # Then the probes, the login page and hashed, compressed static files are served
        _, _, body = get(f"{base}/readyz")
        assert b'"broker": {"ok": true, "transport": "redis"' in body
        status, headers, page = get(f"{base}/accounts/login/", **{"X-Request-ID": "prod-local-test"})
        assert status == 200 and "登录" in page.decode()
        assert headers["X-Request-ID"] == "prod-local-test"
        match = re.search(r"/static/css/app\.[0-9a-f]{12}\.css", page.decode())
        assert match, "the login page does not link a hashed stylesheet"
        status, headers, _ = get(base + match.group(0), **{"Accept-Encoding": "br"})
        assert status == 200
        assert headers["Cache-Control"] == "max-age=315360000, public, immutable"
        assert headers["Content-Encoding"] == "br"
        assert get(f"{base}/static/css/app.css")[0] == 404  # only hashed names are kept
        web_log = (tmp_path / "run" / "web.log").read_text()
        assert '"request_id": "prod-local-test"' in web_log and '"logger": "gunicorn.access"' in web_log

        # When it is stopped from another shell
        stop = subprocess.run(
            ["bash", str(SCRIPT), "stop"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert stop.returncode == 0, stop.stdout + stop.stderr
        script.wait(timeout=30)

        # Then all three and gunicorn's workers are gone, and the foreground script has ended
        assert not [name for name, pid in pids.items() if alive(pid)]
        assert processes_mentioning(f"127.0.0.1:{port}") == []
        assert processes_mentioning(f"prod-local-{port}@") == []
        assert not list((tmp_path / "run").glob("*.pid"))
    finally:
        if script.poll() is None:
            subprocess.run(["bash", str(SCRIPT), "stop"], cwd=ROOT, env=env, capture_output=True, timeout=60)
            try:
                script.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(script.pid, signal.SIGKILL)
        output.close()
