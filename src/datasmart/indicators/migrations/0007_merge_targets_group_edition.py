from django.db import migrations


class Migration(migrations.Migration):
    """Merge: indicator targets (new indicators) and result group_edition (kommungrupper
    2017/2023) were added at the same time on top of 0005."""

    dependencies = [
        ("indicators", "0006_indicator_targets"),
        ("indicators", "0006_result_group_edition"),
    ]

    operations: list[migrations.operations.base.Operation] = []
