"""Load the five reform domains, create the trace chain head, and make the trace table append-only."""

from django.db import migrations

DOMAINS = [
    ("party_gov", "党政机关整体智治"),
    ("digital_gov", "数字政府"),
    ("digital_economy", "数字经济"),
    ("digital_society", "数字社会"),
    ("digital_law", "数字法治"),
]

PG_TRIGGER = """
CREATE OR REPLACE FUNCTION tasks_app_trace_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '留痕记录只能追加，不能修改或删除 (trace entries are append-only)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tasks_app_traceentry_no_update BEFORE UPDATE OR DELETE ON tasks_app_traceentry
    FOR EACH ROW EXECUTE FUNCTION tasks_app_trace_append_only();
CREATE INDEX IF NOT EXISTS tasks_app_task_code_prefix ON tasks_app_task (code varchar_pattern_ops);
CREATE INDEX IF NOT EXISTS tasks_app_orgunit_path_prefix ON tasks_app_orgunit (path varchar_pattern_ops);
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS tasks_app_traceentry_no_update ON tasks_app_traceentry;
DROP FUNCTION IF EXISTS tasks_app_trace_append_only();
DROP INDEX IF EXISTS tasks_app_task_code_prefix;
DROP INDEX IF EXISTS tasks_app_orgunit_path_prefix;
"""
SQLITE_TRIGGERS = [
    """CREATE TRIGGER tasks_app_traceentry_no_update BEFORE UPDATE ON tasks_app_traceentry
       BEGIN SELECT RAISE(ABORT, '留痕记录只能追加，不能修改 (trace entries are append-only)'); END;""",
    """CREATE TRIGGER tasks_app_traceentry_no_delete BEFORE DELETE ON tasks_app_traceentry
       BEGIN SELECT RAISE(ABORT, '留痕记录只能追加，不能删除 (trace entries are append-only)'); END;""",
]


def load_domains(apps, schema_editor):
    Domain = apps.get_model("tasks_app", "Domain")
    for order, (code, name) in enumerate(DOMAINS, start=1):
        Domain.objects.update_or_create(code=code, defaults={"name": name, "order": order})
    apps.get_model("tasks_app", "TraceHead").objects.get_or_create(pk=1)


def install_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_TRIGGER)
    elif vendor == "sqlite":
        for sql in SQLITE_TRIGGERS:
            schema_editor.execute(sql)


def remove_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS tasks_app_traceentry_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS tasks_app_traceentry_no_delete")


class Migration(migrations.Migration):
    dependencies = [("tasks_app", "0001_initial")]

    operations = [
        migrations.RunPython(load_domains, migrations.RunPython.noop),
        migrations.RunPython(install_guard, remove_guard),
    ]
