"""API tokens: ``expires_at`` is required and ``scope`` is checked in the database.

Separate from 0002 so that the data update there and this ALTER TABLE run in different
transactions (PostgreSQL refuses ALTER TABLE with pending trigger events).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_apitoken_scope_expiry"),
    ]

    operations = [
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="går ut"),
        ),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.CheckConstraint(
                condition=models.Q(("scope__in", ["read", "write"])),
                name="apitoken_scope_valid",
            ),
        ),
    ]
