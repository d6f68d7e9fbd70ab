"""The settings switches: each checked in a fresh interpreter, as a deployment would start."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'engine': db['ENGINE'], 'name': str(db['NAME']), 'host': db.get('HOST', ''), "
    "'eager': settings.CELERY_TASK_ALWAYS_EAGER, 'broker': settings.CELERY_BROKER_URL, "
    "'lang': settings.LANGUAGE_CODE, 'langs': [c for c, _ in settings.LANGUAGES], 'tz': settings.TIME_ZONE, "
    "'use_tz': settings.USE_TZ, 'debug': settings.DEBUG}))"
)


def run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    unset = {"DATABASE_URL", "DATABASE_REPLICA_URL", "CELERY_BROKER_URL", "SECRET_KEY", "SECRET_KEY_FALLBACKS"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def probe(**env: str) -> dict:
    result = run(PROBE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_need_no_services():
    values = probe(DJANGO_SETTINGS_MODULE="reform.settings.local")
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(ROOT / "db.sqlite3")
    assert values["eager"] is True
    assert (values["lang"], values["tz"], values["use_tz"]) == ("zh-hans", "Asia/Shanghai", True)
    assert values["langs"] == ["zh-hans", "en"]


def test_database_url_is_honoured():
    values = probe(
        DJANGO_SETTINGS_MODULE="reform.settings.local",
        DATABASE_URL="postgres://reform:secret@db.internal:6543/reform_prod",
    )
    assert values["engine"] == "django.db.backends.postgresql"
    assert (values["name"], values["host"]) == ("reform_prod", "db.internal")


def test_a_broker_url_turns_off_eager_celery():
    values = probe(DJANGO_SETTINGS_MODULE="reform.settings.local", CELERY_BROKER_URL="redis://127.0.0.1:6379/3")
    assert values["eager"] is False and values["broker"] == "redis://127.0.0.1:6379/3"


@pytest.mark.parametrize("secret", [None, "", "short-key", "django-insecure-" + "x" * 60])
def test_production_refuses_to_start_without_a_real_secret_key(secret):
    env = {"DJANGO_SETTINGS_MODULE": "reform.settings.production", "ALLOWED_HOSTS": "reform.example.gov.cn"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    result = run("import django; django.setup()", **env)
    assert result.returncode != 0
    assert "生产环境必须通过环境变量 SECRET_KEY 提供" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_production_passes_check_deploy_with_no_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "DJANGO_SETTINGS_MODULE": "reform.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "reform.example.gov.cn",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stderr + result.stdout


def test_production_is_secure_by_default():
    code = (
        "import django, json; from django.conf import settings; django.setup(); print(json.dumps(["
        "settings.DEBUG, settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE,"
        " settings.SECURE_HSTS_SECONDS, settings.SESSION_COOKIE_HTTPONLY, settings.SESSION_COOKIE_SAMESITE]))"
    )
    result = run(
        code,
        DJANGO_SETTINGS_MODULE="reform.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="reform.example.gov.cn",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip()) == [False, True, True, True, 31_536_000, True, "Lax"]


def test_login_page_is_chinese(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "登录" in body
    assert re.search(r'<html lang="zh-(hans|Hans|CN)"', body), body[:200]
    assert response.headers["Content-Language"] == "zh-hans"


def test_production_reads_old_keys_for_rotation_and_a_replica_only_when_given():
    code = (
        "import django, json; from django.conf import settings; django.setup(); print(json.dumps(["
        "settings.SECRET_KEY_FALLBACKS, sorted(settings.DATABASES), settings.DATABASE_ROUTERS]))"
    )
    base = {
        "DJANGO_SETTINGS_MODULE": "reform.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "reform.example.gov.cn",
    }
    old_keys = [secrets.token_urlsafe(64), secrets.token_urlsafe(64)]

    plain = run(code, **base)
    rotated = run(
        code,
        **base,
        SECRET_KEY_FALLBACKS=",".join(old_keys),
        DATABASE_URL="postgres://reform@db:5432/reform",
        DATABASE_REPLICA_URL="postgres://reform_ro@replica:5432/reform",
    )

    assert plain.returncode == 0 and rotated.returncode == 0, plain.stderr + rotated.stderr
    assert json.loads(plain.stdout.strip().splitlines()[-1]) == [[], ["default"], ["reform.db_router.ReplicaRouter"]]
    fallbacks, aliases, _ = json.loads(rotated.stdout.strip().splitlines()[-1])
    assert fallbacks == old_keys and aliases == ["default", "replica"]


@pytest.mark.parametrize(("days", "starts"), [("182", False), ("183", True), ("3650", True)])
def test_production_refuses_an_audit_retention_under_six_months(days, starts):
    result = run(
        "import django; django.setup()",
        DJANGO_SETTINGS_MODULE="reform.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="reform.example.gov.cn",
        TRACE_RETENTION_DAYS=days,
    )
    assert (result.returncode == 0) is starts, result.stderr
    if not starts:
        assert "TRACE_RETENTION_DAYS 不得少于 183 天" in result.stderr
