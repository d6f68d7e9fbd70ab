"""API tokens move to django-rest-knox (digests, expiry, many per user): drop DRF's plaintext token table.

The keys in ``authtoken_token`` were stored in clear and never expired; they stop working with this
release either way (clients get a new token from POST /api/auth/token/), so they are not kept at rest.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_unit_in_orgs"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", reverse_sql=migrations.RunSQL.noop),
    ]
