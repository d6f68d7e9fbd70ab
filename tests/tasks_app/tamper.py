"""Tampering with the trace behind the application's back, for the tests that must detect it."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection


@contextmanager
def triggers_off():
    """Simulate a tamperer who bypasses the application (and the append-only triggers)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE tasks_app_traceentry DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS tasks_app_traceentry_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS tasks_app_traceentry_no_delete")
    try:
        yield connection.cursor()
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE tasks_app_traceentry ENABLE TRIGGER USER")
            else:
                from tests.conftest import SQLITE_TRACE_TRIGGERS

                for sql in SQLITE_TRACE_TRIGGERS:
                    cursor.execute(sql)
