"""API tokens get a scope and a mandatory expiry (issue #10, section 6).

Tokens made before this migration could do everything and never expired: they keep
``write`` (an integration that works today keeps working) but now expire one maximum
lifetime (``API_TOKEN_MAX_DAYS``, default 365) after they were made. New tokens default to
``read``.
"""

import datetime as dt

from django.conf import settings
from django.db import migrations, models


def give_old_tokens_an_expiry(apps, schema_editor):  # type: ignore[no-untyped-def]
    api_token = apps.get_model("accounts", "ApiToken")
    longest = dt.timedelta(days=getattr(settings, "API_TOKEN_MAX_DAYS", 365))
    for token in api_token.objects.filter(expires_at__isnull=True).only("pk", "created_at"):
        api_token.objects.filter(pk=token.pk).update(expires_at=token.created_at + longest)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[("read", "Endast läsa"), ("write", "Läsa och ändra")],
                default="write",
                max_length=8,
                verbose_name="behörighet",
            ),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[("read", "Endast läsa"), ("write", "Läsa och ändra")],
                default="read",
                max_length=8,
                verbose_name="behörighet",
            ),
        ),
        migrations.RunPython(give_old_tokens_an_expiry, migrations.RunPython.noop),
    ]
