"""Units now belong to the orgs app: the references follow in Django's state; the database does not change."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_unit_in_orgs'),
        ('orgs', '0001_initial'),
        ('rhythm', '0004_unit_in_orgs'),
        ('tasks_app', '0007_trace_verification'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays where it is: only Django's idea of which app owns the model moves.
            state_operations=[
                migrations.AlterField(
                    model_name='task',
                    name='lead_unit',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='led_tasks', to='orgs.orgunit', verbose_name='牵头单位'),
                ),
                migrations.AlterField(
                    model_name='feedback',
                    name='unit',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.orgunit', verbose_name='报送单位'),
                ),
                migrations.AlterField(
                    model_name='problemreport',
                    name='unit',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.orgunit', verbose_name='反馈单位'),
                ),
                migrations.AlterField(
                    model_name='instruction',
                    name='target_units',
                    field=models.ManyToManyField(related_name='instructions', to='orgs.orgunit', verbose_name='承办单位'),
                ),
                migrations.AlterField(
                    model_name='task',
                    name='cooperating_units',
                    field=models.ManyToManyField(blank=True, related_name='cooperating_tasks', to='orgs.orgunit', verbose_name='配合单位'),
                ),
                migrations.DeleteModel(
                    name='OrgUnit',
                ),
            ],
            database_operations=[],
        ),
    ]
