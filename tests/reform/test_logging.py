"""JSON log lines with the request id, from Django, from gunicorn and under production settings."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from reform.logging import GunicornJsonLogger, JsonFormatter, RequestIdFilter, current_request_id

ROOT = Path(__file__).resolve().parents[2]
UUID_HEX = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def json_lines():
    """Capture the root logger's output as production formats it, and hand back the parsed lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_the_proxys_request_id_is_kept_and_returned(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="nginx-7f3a9c")

    assert response.headers["X-Request-ID"] == "nginx-7f3a9c"


@pytest.mark.parametrize("sent", [None, "", "bad id with spaces", "x" * 200, "evil\nline"])
def test_a_missing_or_malformed_request_id_is_replaced_by_a_uuid(client, db, sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}

    response = client.get("/healthz", **headers)

    assert UUID_HEX.match(response.headers["X-Request-ID"])


def test_every_log_line_of_a_request_carries_its_id(client, db, json_lines):
    client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-42")
    logging.getLogger("after").warning("outside any request")

    lines = json_lines()
    not_found = next(line for line in lines if line["logger"] == "django.request")
    assert not_found["message"] == "Not Found: /no-such-page/"
    assert not_found["request_id"] == "req-42"
    assert not_found["level"] == "WARNING" and not_found["status_code"] == 404
    after = next(line for line in lines if line["logger"] == "after")
    assert after["request_id"] == "-"
    assert current_request_id() == "-"


def test_json_lines_hold_extras_and_exceptions(json_lines):
    log = logging.getLogger("reform.test")
    try:
        raise ValueError("坏数据")
    except ValueError:
        log.exception("导入失败 %s", "任务清单.xlsx", extra={"rows": 3, "sheet": "任务"})

    (line,) = [entry for entry in json_lines() if entry["logger"] == "reform.test"]
    assert line["message"] == "导入失败 任务清单.xlsx"
    assert (line["rows"], line["sheet"], line["level"]) == (3, "任务", "ERROR")
    assert "ValueError: 坏数据" in line["exc_info"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", line["time"])


def test_gunicorn_access_lines_are_json_with_the_request_id(capsys):
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("errorlog", "-")
    logger = GunicornJsonLogger(cfg)
    response = SimpleNamespace(status="201 Created", headers=[("X-Request-ID", "req-9")], sent=512)
    request = SimpleNamespace(headers=[("USER-AGENT", "curl")])
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/tasks/",
        "QUERY_STRING": "a=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.5",
        "HTTP_X_FORWARDED_FOR": "203.0.113.7",
        "HTTP_USER_AGENT": "curl/8",
    }

    logger.access(response, request, environ, timedelta(milliseconds=37))
    logger.error("worker timeout")

    out = capsys.readouterr()
    access = json.loads(out.out.strip().splitlines()[-1])
    assert access["logger"] == "gunicorn.access" and access["message"] == "POST /api/tasks/ 201"
    assert access["request_id"] == "req-9"
    assert (access["status"], access["bytes"], access["duration_ms"]) == (201, 512, 37.0)
    assert (access["remote_addr"], access["forwarded_for"], access["query"]) == ("10.0.0.5", "203.0.113.7", "a=1")
    error = json.loads(out.err.strip().splitlines()[-1])
    assert (error["logger"], error["level"], error["message"]) == ("gunicorn.error", "ERROR", "worker timeout")


def test_production_settings_log_json_to_stdout_and_local_keeps_plain_text():
    code = "import django, logging; django.setup(); logging.getLogger('reform.probe').warning('督办已发出')"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "LOG_LEVEL"}}
    production = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "reform.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "reform.example.gov.cn",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    local = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "reform.settings.local"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert production.returncode == 0, production.stderr
    line = json.loads(production.stdout.strip().splitlines()[-1])
    assert (line["logger"], line["level"], line["message"], line["request_id"]) == (
        "reform.probe",
        "WARNING",
        "督办已发出",
        "-",
    )
    assert local.returncode == 0, local.stderr
    assert local.stderr.strip().splitlines()[-1] == "督办已发出"
