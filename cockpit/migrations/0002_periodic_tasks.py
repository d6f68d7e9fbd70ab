"""Celery beat row for the cockpit: the end-of-day light snapshot (Asia/Shanghai); editable in the admin."""

import json

from django.db import migrations

TZ = "Asia/Shanghai"
NAME = "驾驶舱日终亮灯快照"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="55", hour="23", day_of_week="*", day_of_month="*", month_of_year="*", timezone=TZ
    )
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "cockpit.tasks.cockpit_snapshot",
            "crontab": schedule,
            "interval": None,
            "description": "每日 23:55：记录当日各范围、各领域的红黄绿灯与逾期事项数，供驾驶舱趋势图使用",
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
    dependencies = [
        ("cockpit", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
