from __future__ import annotations

import os

import pytest
from django.db import connection

from tasks_app.bootstrap import ensure_reference_data
from tests.factories import Role, make_unit, make_user
from tests.integration.conftest import real_celery  # noqa: F401  (the real-worker fixture, for every folder)

SQLITE_TRACE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS tasks_app_traceentry_no_update BEFORE UPDATE ON tasks_app_traceentry
       BEGIN SELECT RAISE(ABORT, '留痕记录只能追加，不能修改 (trace entries are append-only)'); END;""",
    """CREATE TRIGGER IF NOT EXISTS tasks_app_traceentry_no_delete BEFORE DELETE ON tasks_app_traceentry
       BEGIN SELECT RAISE(ABORT, '留痕记录只能追加，不能删除 (trace entries are append-only)'); END;""",
]


def _is_transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return (
        bool(marker and (marker.kwargs.get("transaction") or (len(marker.args) > 0 and marker.args[0])))
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
    )


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest):
    """Restore migration-loaded rows after transactional flushes, and let SQLite's flush clear the trace.

    SQLite's flush uses DELETE, which the append-only triggers reject; they are dropped just for the
    flush and recreated before the next test.
    """
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db:
        yield
        return
    transactional = _is_transactional(request)
    request.getfixturevalue("transactional_db" if transactional else "db")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for sql in SQLITE_TRACE_TRIGGERS:
                cursor.execute(sql)
    ensure_reference_data()
    yield
    if transactional and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS tasks_app_traceentry_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS tasks_app_traceentry_no_delete")


@pytest.fixture
def city(db):
    return make_unit("测试市人民政府", level="city")


@pytest.fixture
def dsj(city):
    return make_unit("市大数据局", parent=city)


@pytest.fixture
def jxj(city):
    return make_unit("市经信局", parent=city)


@pytest.fixture
def office_user(city):
    return make_user(Role.OFFICE, unit=city, username="office")


@pytest.fixture
def leader_user(city):
    return make_user(Role.LEADER, unit=city, username="leader")


@pytest.fixture
def auditor_user(city):
    return make_user(Role.AUDITOR, username="auditor")


@pytest.fixture
def dsj_admin(dsj):
    return make_user(Role.UNIT_ADMIN, unit=dsj, username="dsj_admin")


@pytest.fixture
def dsj_handler(dsj):
    return make_user(Role.UNIT_HANDLER, unit=dsj, username="dsj_handler")


@pytest.fixture
def jxj_handler(jxj):
    return make_user(Role.UNIT_HANDLER, unit=jxj, username="jxj_handler")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Integration and PostgreSQL tests run where those services are configured, and say why otherwise."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    has_broker = bool(os.environ.get("CELERY_BROKER_URL"))
    for item in items:
        if "integration" in item.keywords and not (on_postgres and has_broker):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL and a Celery worker (run by .ci/run part 2)"))
        elif "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (run by .ci/run part 2)"))
