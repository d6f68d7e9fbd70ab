"""The compose stack and the proxy configuration say what deploy/README.md promises.

No Docker engine runs here, so these read the files: the services and their wiring, the proxy
headers Django relies on, and the limits.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def test_the_stack_has_each_service_once_with_the_right_images():
    services = compose()["services"]

    assert set(services) == {"proxy", "web", "worker", "beat", "migrate", "db", "redis"}
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert "deploy" not in services["beat"]  # never replicated: one beat only


def test_app_services_run_production_settings_after_migrations():
    services = compose()["services"]

    for name in ("web", "worker", "beat", "migrate"):
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "reform.settings.production"
        assert service["environment"]["CELERY_BROKER_URL"] == "redis://redis:6379/0"
        assert "@db:5432/reform" in service["environment"]["DATABASE_URL"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["web"]["command"][:3] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in services["beat"]["command"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["web"]["volumes"] == services["worker"]["volumes"] == ["media:/data/media"]


def test_postgres_archives_wal_for_point_in_time_recovery():
    command = " ".join(compose()["services"]["db"]["command"])

    assert "wal_level=replica" in command and "archive_mode=on" in command
    assert "archive_command=test ! -f /wal-archive/%f && cp %p /wal-archive/%f" in command


def test_nginx_forwards_scheme_and_request_id_and_limits_bodies():
    conf = (DEPLOY / "nginx.conf").read_text()

    assert re.search(r"^\s*client_max_body_size 25m;", conf, re.M)
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "proxy_set_header X-Request-ID $request_id;" in conf
    assert "server web:8000;" in conf
    assert conf.count("{") == conf.count("}")
