"""The trace models now belong to the trail app: state only; the tables, rows and triggers stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('tasks_app', '0008_orgunit_moves_to_orgs'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are (tasks_app_*): only Django's idea of the owning app moves.
            state_operations=[
                migrations.DeleteModel(
                    name='RelayCursor',
                ),
                migrations.RemoveField(
                    model_name='traceentry',
                    name='actor',
                ),
                migrations.RemoveField(
                    model_name='traceentry',
                    name='task',
                ),
                migrations.DeleteModel(
                    name='TraceHead',
                ),
                migrations.DeleteModel(
                    name='TraceVerification',
                ),
                migrations.DeleteModel(
                    name='TraceEntry',
                ),
            ],
            database_operations=[],
        ),
    ]
