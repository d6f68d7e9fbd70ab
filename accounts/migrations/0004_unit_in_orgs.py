"""A user's unit is now orgs.OrgUnit (same table): state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_role_groups'),
        ('orgs', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays where it is: only Django's idea of which app owns the model moves.
            state_operations=[
                migrations.AlterField(
                    model_name='user',
                    name='unit',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='users', to='orgs.orgunit', verbose_name='所属单位'),
                ),
            ],
            database_operations=[],
        ),
    ]
