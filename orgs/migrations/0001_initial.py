"""Units move from tasks_app to orgs: the model's state moves, its table (tasks_app_orgunit) and rows stay."""

import django.db.models.deletion
from django.db import migrations, models



def move_content_type(apps, schema_editor):
    """Admin log entries and permissions of units follow the model to its new app."""
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="orgs", model="orgunit").exists():
        content_type.objects.filter(app_label="tasks_app", model="orgunit").update(app_label="orgs")


def move_content_type_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="tasks_app", model="orgunit").exists():
        content_type.objects.filter(app_label="orgs", model="orgunit").update(app_label="tasks_app")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('tasks_app', '0007_trace_verification'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays where it is: only Django's idea of which app owns the model moves.
            state_operations=[
                migrations.CreateModel(
                    name='OrgUnit',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True, verbose_name='单位名称')),
                        ('short_code', models.CharField(max_length=32, unique=True, verbose_name='单位简码')),
                        ('level', models.CharField(choices=[('province', '省'), ('city', '市'), ('county', '区县'), ('street', '街镇'), ('community', '村社')], max_length=16, verbose_name='层级')),
                        ('path', models.CharField(editable=False, max_length=255, unique=True, verbose_name='路径')),
                        ('depth', models.PositiveSmallIntegerField(default=0, editable=False, verbose_name='深度')),
                        ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='orgs.orgunit', verbose_name='上级单位')),
                    ],
                    options={
                        'verbose_name': '责任单位',
                        'verbose_name_plural': '责任单位',
                        'db_table': 'tasks_app_orgunit',
                        'ordering': ['path'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
