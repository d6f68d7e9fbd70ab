"""Several programmes (专项) in one deployment; each has its own domains; codes unique per programme;
parent by id.

Existing tasks and the five domains move into one default programme. The parent link was the
parent's *code* (unique across the deployment); with codes unique only within a programme it
becomes the parent's id, filled from the old code link before that is dropped.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat, LPad, Substr

DEFAULT_NAME = "数字化改革行动计划"


def create_default_programme(apps, schema_editor):
    Programme = apps.get_model("tasks_app", "Programme")
    Domain = apps.get_model("tasks_app", "Domain")
    Task = apps.get_model("tasks_app", "Task")
    programme = Programme.objects.create(name=DEFAULT_NAME, short_name="行动计划", kind="plan", is_default=True)
    Domain.objects.update(programme=programme)
    Task.objects.update(programme=programme)


def prefix_sort_keys(apps, schema_editor):
    """Sort keys lead with the programme ("00001/000002.000003"), so they stay unique across programmes."""
    Task = apps.get_model("tasks_app", "Task")
    prefix = LPad(Cast("programme_id", models.CharField()), 5, Value("0"))
    Task.objects.update(sort_key=Concat(prefix, Value("/"), F("sort_key")))


def strip_sort_keys(apps, schema_editor):
    Task = apps.get_model("tasks_app", "Task")
    Task.objects.update(sort_key=Substr("sort_key", 7))


def link_parents_by_id(apps, schema_editor):
    Task = apps.get_model("tasks_app", "Task")
    parent = Task.objects.filter(code=OuterRef("parent_id")).values("pk")[:1]
    Task.objects.filter(parent__isnull=False).update(parent_ref=Subquery(parent))


def link_parents_by_code(apps, schema_editor):
    Task = apps.get_model("tasks_app", "Task")
    code = Task.objects.filter(pk=OuterRef("parent_ref_id")).values("code")[:1]
    Task.objects.filter(parent_ref__isnull=False).update(parent=Subquery(code))


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_unit_divisions"),
        ("tasks_app", "0011_task_shares"),
    ]

    operations = [
        migrations.CreateModel(
            name="Programme",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="专项名称")),
                ("short_name", models.CharField(blank=True, max_length=30, verbose_name="简称")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("plan", "行动计划"),
                            ("annual", "年度重点工作"),
                            ("meeting", "会议议定事项"),
                            ("instruction", "批示件"),
                            ("other", "其他专项"),
                        ],
                        default="plan",
                        max_length=16,
                        verbose_name="类别",
                    ),
                ),
                ("year", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="年度")),
                (
                    "is_default",
                    models.BooleanField(default=False, help_text="未指定专项时使用；只能有一个", verbose_name="默认专项"),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="进行中")),
                ("order", models.PositiveSmallIntegerField(default=0, verbose_name="排序")),
                (
                    "owner",
                    models.ForeignKey(
                        blank=True,
                        help_text="由哪一级的督查室组织推进；不填为市级",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="programmes",
                        to="orgs.orgunit",
                        verbose_name="主办单位",
                    ),
                ),
            ],
            options={
                "verbose_name": "专项",
                "verbose_name_plural": "专项",
                "ordering": ["order", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("is_default", True)), fields=("is_default",), name="one_default_programme"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="task",
            name="programme",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tasks",
                to="tasks_app.programme",
                verbose_name="专项",
            ),
        ),
        migrations.AddField(
            model_name="domain",
            name="programme",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="domains",
                to="tasks_app.programme",
                verbose_name="专项",
            ),
        ),
        migrations.RunPython(create_default_programme, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="domain",
            name="programme",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="domains",
                to="tasks_app.programme",
                verbose_name="专项",
            ),
        ),
        migrations.AlterField(model_name="domain", name="code", field=models.SlugField(max_length=32, verbose_name="代码")),
        migrations.AlterField(
            model_name="domain", name="name", field=models.CharField(max_length=32, verbose_name="领域名称")
        ),
        migrations.AlterModelOptions(
            name="domain",
            options={"ordering": ["programme_id", "order"], "verbose_name": "改革领域", "verbose_name_plural": "改革领域"},
        ),
        migrations.AddConstraint(
            model_name="domain",
            constraint=models.UniqueConstraint(fields=("programme", "code"), name="domain_code_per_programme"),
        ),
        migrations.AddConstraint(
            model_name="domain",
            constraint=models.UniqueConstraint(fields=("programme", "name"), name="domain_name_per_programme"),
        ),
        migrations.AlterField(
            model_name="task",
            name="programme",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tasks",
                to="tasks_app.programme",
                verbose_name="专项",
            ),
        ),
        migrations.RunPython(prefix_sort_keys, strip_sort_keys),
        # The parent by id: a new link filled from the code link, then the code link goes.
        migrations.AddField(
            model_name="task",
            name="parent_ref",
            field=models.ForeignKey(
                null=True,
                blank=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tasks_app.task",
            ),
        ),
        migrations.RunPython(link_parents_by_id, link_parents_by_code),
        migrations.RemoveConstraint(model_name="task", name="task_code_extends_parent"),
        migrations.RemoveField(model_name="task", name="parent"),
        migrations.RenameField(model_name="task", old_name="parent_ref", new_name="parent"),
        migrations.AlterField(
            model_name="task",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="children",
                to="tasks_app.task",
                verbose_name="上级任务",
            ),
        ),
        migrations.AlterField(
            model_name="task",
            name="code",
            field=models.CharField(max_length=64, verbose_name="编号"),
        ),
        migrations.AddConstraint(
            model_name="task",
            constraint=models.UniqueConstraint(fields=("programme", "code"), name="task_code_per_programme"),
        ),
    ]
