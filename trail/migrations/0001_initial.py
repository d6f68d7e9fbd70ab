"""The trace moves from tasks_app to trail: the models' state moves; tables, rows and triggers stay."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MODELS = ("traceentry", "tracehead", "traceverification", "relaycursor")
OLD_JOB, NEW_JOB = "tasks_app.tasks.verify_trace_nightly", "trail.tasks.verify_trace_nightly"


def move_content_types(apps, schema_editor):
    """Admin log entries and permissions of the trace models follow them to their new app."""
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not content_type.objects.filter(app_label="trail", model=model).exists():
            content_type.objects.filter(app_label="tasks_app", model=model).update(app_label="trail")


def move_content_types_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not content_type.objects.filter(app_label="tasks_app", model=model).exists():
            content_type.objects.filter(app_label="trail", model=model).update(app_label="tasks_app")


def rename_nightly_job(apps, schema_editor):
    """The nightly chain walk's Celery task moved with the trace (tasks_app.tasks → trail.tasks)."""
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=OLD_JOB).update(task=NEW_JOB)


def rename_nightly_job_back(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=NEW_JOB).update(task=OLD_JOB)

class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('tasks_app', '0009_trace_moves_to_trail'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('django_celery_beat', '0019_alter_periodictasks_options'),
        ('rhythm', '0003_verify_trace_job'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are (tasks_app_*): only Django's idea of the owning app moves.
            state_operations=[
                migrations.CreateModel(
                    name='RelayCursor',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=64, unique=True)),
                        ('seq', models.BigIntegerField(default=0)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'verbose_name': '留痕消费进度',
                        'verbose_name_plural': '留痕消费进度',
                        'db_table': 'tasks_app_relaycursor',
                    },
                ),
                migrations.CreateModel(
                    name='TraceHead',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.BigIntegerField(default=0)),
                        ('hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
                    ],
                    options={
                        'verbose_name': '留痕链头',
                        'verbose_name_plural': '留痕链头',
                        'db_table': 'tasks_app_tracehead',
                    },
                ),
                migrations.CreateModel(
                    name='TraceVerification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('source', models.CharField(choices=[('nightly', '每日自动核验'), ('command', '命令行核验')], max_length=16, verbose_name='来源')),
                        ('started_at', models.DateTimeField(verbose_name='开始时间')),
                        ('seconds', models.FloatField(verbose_name='用时（秒）')),
                        ('ok', models.BooleanField(verbose_name='链完整')),
                        ('count', models.BigIntegerField(verbose_name='已核验条数')),
                        ('head_hash', models.CharField(blank=True, max_length=64, verbose_name='链头哈希')),
                        ('broken_seq', models.BigIntegerField(blank=True, null=True, verbose_name='首条断裂序号')),
                        ('reason', models.TextField(blank=True, verbose_name='断裂原因')),
                    ],
                    options={
                        'verbose_name': '留痕核验记录',
                        'verbose_name_plural': '留痕核验记录',
                        'db_table': 'tasks_app_traceverification',
                        'ordering': ['-started_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='TraceEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.BigIntegerField(unique=True, verbose_name='序号')),
                        ('created_at', models.DateTimeField(db_index=True, verbose_name='时间')),
                        ('actor_name', models.CharField(blank=True, max_length=150, verbose_name='操作人姓名')),
                        ('object_type', models.CharField(max_length=64, verbose_name='对象类型')),
                        ('object_id', models.CharField(blank=True, max_length=64, verbose_name='对象')),
                        ('action', models.CharField(db_index=True, max_length=64, verbose_name='动作')),
                        ('from_state', models.CharField(blank=True, max_length=32, verbose_name='原状态')),
                        ('to_state', models.CharField(blank=True, max_length=32, verbose_name='新状态')),
                        ('payload', models.JSONField(default=dict, verbose_name='内容')),
                        ('prev_hash', models.CharField(max_length=64)),
                        ('hash', models.CharField(max_length=64, unique=True)),
                        ('actor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                        ('task', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='trace_entries', to='tasks_app.task', verbose_name='任务')),
                    ],
                    options={
                        'verbose_name': '留痕记录',
                        'verbose_name_plural': '留痕记录',
                        'db_table': 'tasks_app_traceentry',
                        'ordering': ['seq'],
                        'indexes': [models.Index(fields=['task', 'seq'], name='trace_task_seq')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
        migrations.RunPython(rename_nightly_job, rename_nightly_job_back),
    ]
