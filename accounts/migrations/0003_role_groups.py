from django.db import migrations

ROLES = ["leader", "office", "unit_admin", "unit_handler", "auditor"]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
