"""The database keeps the tree's one invariant: a task's code is its parent's code plus one segment,
in the same programme (a subtree is a code prefix; the ancestors are its prefixes).

Until 0012 a check constraint did this through the parent's code; with the parent linked by id the
check needs the parent row, so it is a trigger (SQLite and PostgreSQL), raising a constraint error.
"""

from django.db import migrations

MESSAGE = "task code must extend its parent's code by one segment within the same programme"

PG_UP = f"""
CREATE OR REPLACE FUNCTION tasks_app_task_tree_guard() RETURNS trigger AS $$
BEGIN
    IF NEW.parent_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM tasks_app_task p
        WHERE p.id = NEW.parent_id
          AND p.programme_id = NEW.programme_id
          AND left(NEW.code, length(p.code) + 1) = p.code || '.'
          AND length(NEW.code) > length(p.code) + 1
          AND position('.' in substr(NEW.code, length(p.code) + 2)) = 0
    ) THEN
        RAISE EXCEPTION '{MESSAGE.replace("'", "''")}: %', NEW.code USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER tasks_app_task_tree_guard
    BEFORE INSERT OR UPDATE OF code, parent_id, programme_id ON tasks_app_task
    FOR EACH ROW EXECUTE FUNCTION tasks_app_task_tree_guard();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS tasks_app_task_tree_guard ON tasks_app_task;
DROP FUNCTION IF EXISTS tasks_app_task_tree_guard();
"""

SQLITE_CONDITION = """
NEW.parent_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM tasks_app_task p
    WHERE p.id = NEW.parent_id
      AND p.programme_id = NEW.programme_id
      AND substr(NEW.code, 1, length(p.code) + 1) = p.code || '.'
      AND length(NEW.code) > length(p.code) + 1
      AND instr(substr(NEW.code, length(p.code) + 2), '.') = 0
)
"""
SQLITE_UP = [
    f"""CREATE TRIGGER tasks_app_task_tree_guard_insert BEFORE INSERT ON tasks_app_task
    WHEN {SQLITE_CONDITION}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE.replace("'", "''")}'); END;""",
    f"""CREATE TRIGGER tasks_app_task_tree_guard_update BEFORE UPDATE OF code, parent_id, programme_id
    ON tasks_app_task
    WHEN {SQLITE_CONDITION}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE.replace("'", "''")}'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS tasks_app_task_tree_guard_insert;",
    "DROP TRIGGER IF EXISTS tasks_app_task_tree_guard_update;",
]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)  # no client-side merge: the SQL holds a literal %
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("tasks_app", "0012_programmes")]

    operations = [migrations.RunPython(install, remove)]
