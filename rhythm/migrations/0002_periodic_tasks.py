"""Celery beat rows for the supervision rhythm, all in Asia/Shanghai; the office edits them in the admin."""

import json

from django.db import migrations

TZ = "Asia/Shanghai"

# name, task, (minute, hour), description
CRONTAB_JOBS = [
    (
        "旬报缺报记录与逾期督办升级",
        "rhythm.tasks.record_missed_and_escalate",
        ("0", "8"),
        "每日 8:00：记录上一旬未按时报送的旬报，并对逾期事项、逾期未回复批示和缺报旬报按 提醒→催办→督办→挂牌督办 逐级督办",
    ),
    (
        "临近完成时限预警",
        "rhythm.tasks.warn_deadlines",
        ("30", "8"),
        "每日 8:30：完成时限前 DEADLINE_WARNING_DAYS 天内、尚未完成的事项，向牵头单位发出预警（每个时限一次）",
    ),
    (
        "旬报到期提醒",
        "rhythm.tasks.remind_tenday_reports",
        ("0", "9"),
        "每日 9:00：旬报到期（每月 1 日、11 日、21 日）前 TENDAY_REMIND_DAYS 天内，提醒尚未报送的牵头单位",
    ),
    (
        # Same name as the CELERY_BEAT_SCHEDULE entry in settings, so beat keeps one row, not two.
        "recompute-lights-nightly",
        "indicators.tasks.recompute_lights_nightly",
        ("5", "1"),
        "每日 1:05：按时间推移重算全部红黄绿灯",
    ),
]
INTERVAL_JOBS = [
    ("消息推送补发", "rhythm.tasks.sweep_webhooks", 10, "每 10 分钟：补发因消息队列中断而未送出的外部推送"),
]


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, task, (minute, hour), description in CRONTAB_JOBS:
        schedule, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone=TZ
        )
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={
                "task": task,
                "crontab": schedule,
                "interval": None,
                "description": description,
                "args": json.dumps([]),
                "kwargs": json.dumps({}),
                "enabled": True,
            },
        )
    for name, task, minutes, description in INTERVAL_JOBS:
        schedule, _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={
                "task": task,
                "interval": schedule,
                "crontab": None,
                "description": description,
                "args": json.dumps([]),
                "kwargs": json.dumps({}),
                "enabled": True,
            },
        )
    # Tell a running beat that the schedule changed.
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    names = [job[0] for job in CRONTAB_JOBS + INTERVAL_JOBS]
    PeriodicTask.objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("rhythm", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
