"""The gunicorn settings file: worker count, proxies and JSON logs from the environment."""

from __future__ import annotations

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "gunicorn.conf.py"
KNOBS = ("GUNICORN_WORKERS", "GUNICORN_MAX_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT", "FORWARDED_ALLOW_IPS")


def load(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    for name in (*KNOBS, "PORT", "GUNICORN_BIND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_defaults(monkeypatch):
    conf = load(monkeypatch, PORT="8100")

    assert conf["bind"] == "0.0.0.0:8100"
    assert conf["worker_class"] == "gthread" and conf["threads"] == 4
    assert conf["workers"] == conf["default_workers"](os.cpu_count(), 8)
    assert (conf["timeout"], conf["graceful_timeout"], conf["keepalive"]) == (60, 30, 5)
    assert conf["forwarded_allow_ips"] == "127.0.0.1"
    assert (conf["accesslog"], conf["errorlog"]) == ("-", "-")
    assert conf["logger_class"] == "reform.logging.GunicornJsonLogger"


@pytest.mark.parametrize(("cores", "cap", "workers"), [(1, 8, 3), (2, 8, 5), (4, 8, 8), (32, 8, 8), (2, 1, 2)])
def test_default_workers_is_two_per_core_plus_one_capped(monkeypatch, cores, cap, workers):
    assert load(monkeypatch)["default_workers"](cores, cap) == workers


def test_environment_overrides(monkeypatch):
    conf = load(
        monkeypatch,
        GUNICORN_WORKERS="3",
        GUNICORN_THREADS="8",
        GUNICORN_TIMEOUT="120",
        FORWARDED_ALLOW_IPS="10.0.0.2,10.0.0.3",
        GUNICORN_BIND="unix:/run/reform.sock",
    )

    assert (conf["workers"], conf["threads"], conf["timeout"]) == (3, 8, 120)
    assert conf["forwarded_allow_ips"] == "10.0.0.2,10.0.0.3"
    assert conf["bind"] == "unix:/run/reform.sock"


def test_gunicorn_accepts_the_file_and_loads_the_app_under_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DATABASE_REPLICA_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="reform.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="reform.example.gov.cn",
    )
    result = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "--check-config", "-c", str(CONF), "reform.wsgi:application"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
