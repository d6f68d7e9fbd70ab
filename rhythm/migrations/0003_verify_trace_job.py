"""The nightly walk of the trace chain (留痕链每日核验), a beat row like the others (Asia/Shanghai)."""

import json

from django.db import migrations

NAME = "留痕链每日核验"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "trail.tasks.verify_trace_nightly",
            "crontab": schedule,
            "interval": None,
            "description": "每日 2:30：从头核验全部留痕哈希链，结果记入留痕核验记录，并显示在 /readyz 就绪报告中",
            "args": json.dumps([]),
            "kwargs": json.dumps({}),
            "enabled": True,
        },
    )
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("rhythm", "0002_periodic_tasks"), ("tasks_app", "0007_trace_verification")]

    operations = [migrations.RunPython(create, remove)]
